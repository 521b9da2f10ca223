// Engine client: endpoint discovery, admin secret storage and the Hasura-compatible HTTP APIs.

export const SECRET_KEY = 'rasura-admin-secret';

/** An error answered by the engine, in Hasura's `{code, error, path}` form. */
export class ApiError extends Error {
  code: string;
  path?: string;
  status: number;
  body: unknown;
  constructor(message: string, code: string, status: number, path?: string, body?: unknown) {
    super(message);
    this.code = code;
    this.status = status;
    this.path = path;
    this.body = body;
  }
}

/** The engine's base URL: the `rasura-endpoint` meta tag, or the page's own origin. */
export function endpoint(): string {
  const meta = document.querySelector('meta[name="rasura-endpoint"]');
  const content = meta?.getAttribute('content')?.trim() ?? '';
  return (content || window.location.origin).replace(/\/+$/, '');
}

/** The WebSocket URL of the GraphQL endpoint. */
export function graphqlWsUrl(): string {
  return endpoint().replace(/^http/, 'ws') + '/v1/graphql';
}

const DISMISSED_KEY = 'rasura-admin-secret-dismissed';

/**
 * Takes the admin secret from `<meta name="rasura-admin-secret">` when the server put one in the
 * page (`rasura console` of a project that has a secret) and none is stored yet, unless the user
 * logged out in this tab.
 */
export function adoptInjectedSecret(): void {
  const injected = document.querySelector('meta[name="rasura-admin-secret"]')?.getAttribute('content') ?? '';
  if (injected && getSecret() === null && sessionStorage.getItem(DISMISSED_KEY) === null) setSecret(injected);
}

/** Forgets the secret for this tab ("log out"), an injected one included. */
export function logout(): void {
  clearSecret();
  sessionStorage.setItem(DISMISSED_KEY, '1');
}

export function getSecret(): string | null {
  return sessionStorage.getItem(SECRET_KEY);
}

export function setSecret(secret: string): void {
  sessionStorage.setItem(SECRET_KEY, secret);
  sessionStorage.removeItem(DISMISSED_KEY);
}

export function clearSecret(): void {
  sessionStorage.removeItem(SECRET_KEY);
}

/** The headers every console request carries. */
export function adminHeaders(): Record<string, string> {
  const secret = getSecret();
  return secret ? { 'x-hasura-admin-secret': secret } : {};
}

/** Turns any error answer (Hasura or GraphQL form) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as Record<string, any>;
  if (typeof b.error === 'string') {
    const internal = b.internal?.error?.message ?? b.internal?.error?.description;
    const message = internal && internal !== b.error ? `${b.error}: ${internal}` : b.error;
    return new ApiError(message, String(b.code ?? 'error'), status, b.path, body);
  }
  if (Array.isArray(b.errors) && b.errors.length) {
    const e = b.errors[0];
    return new ApiError(
      String(e.message ?? 'error'),
      String(e.extensions?.code ?? 'error'),
      status,
      e.extensions?.path,
      body,
    );
  }
  return new ApiError(`HTTP ${status}`, 'http-error', status, undefined, body);
}

/** The message to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.path && e.path !== '$' ? `${e.message} (at ${e.path})` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

async function send(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(endpoint() + path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...adminHeaders(),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(`cannot reach the engine at ${endpoint()}: ${errorMessage(e)}`, 'network', 0);
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  if (!res.ok) throw toApiError(res.status, parsed);
  return parsed;
}

export const post = (path: string, body: unknown, headers?: Record<string, string>) =>
  send('POST', path, body, headers);

export const get = (path: string) => send('GET', path);

/** POST /v1/metadata. */
export function metadata<T = any>(type: string, args: unknown = {}, extra: object = {}): Promise<T> {
  return post('/v1/metadata', { type, args, ...extra }) as Promise<T>;
}

/** POST /v2/query (query API: run_sql, select, insert, update, delete, count). */
export function query<T = any>(type: string, args: unknown): Promise<T> {
  return post('/v2/query', { type, args }) as Promise<T>;
}

export interface SqlResult {
  result_type: 'TuplesOk' | 'CommandOk';
  result: string[][] | null;
}

export interface SqlOptions {
  source?: string;
  cascade?: boolean;
  readOnly?: boolean;
}

/** run_sql on a source. */
export function runSql(sql: string, opts: SqlOptions = {}): Promise<SqlResult> {
  return query<SqlResult>('run_sql', {
    source: opts.source ?? 'default',
    sql,
    cascade: opts.cascade ?? false,
    read_only: opts.readOnly ?? false,
  });
}

/**
 * A read-only run_sql whose rows come back as objects keyed by column name. run_sql answers
 * SQL NULL as the text "NULL" (as Hasura does); it becomes null here, so queries that read a
 * text which may really be "NULL" should wrap it (e.g. in to_json) to tell the two apart.
 */
export async function sqlRows(sql: string, source = 'default'): Promise<Record<string, string | null>[]> {
  const r = await runSql(sql, { source, readOnly: true });
  if (r.result_type !== 'TuplesOk' || !r.result) return [];
  const [header, ...rows] = r.result;
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i] === 'NULL' ? null : row[i]])));
}

/** Whether an error means the admin secret is missing or wrong. */
export function isAuthError(e: unknown): boolean {
  return (
    e instanceof ApiError &&
    (e.status === 401 || e.status === 403 || e.code === 'access-denied' || e.code === 'invalid-headers')
  );
}

/** SQL quoting helpers. */
export const sqlIdent = (s: string) => '"' + s.replace(/"/g, '""') + '"';
export const sqlLit = (s: string) => "'" + s.replace(/'/g, "''") + "'";
export const qualified = (schema: string, name: string) => `${sqlIdent(schema)}.${sqlIdent(name)}`;
