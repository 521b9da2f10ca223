// Catalog reads through run_sql: schemas, tables, views, functions, columns and constraints of a source.
import { qualified, sqlLit, sqlRows } from '../../api';

export interface Relation {
  name: string;
  kind: 'table' | 'view' | 'materialized view' | 'foreign table';
  comment: string | null;
}

export interface PgFunction {
  name: string;
  args: string;
  returns: string;
  returnsSet: boolean;
  volatility: string;
}

export interface Column {
  name: string;
  type: string;
  nullable: boolean;
  default: string | null;
  position: number;
}

export interface Constraint {
  name: string;
  kind: 'p' | 'u' | 'f' | 'c';
  columns: string[];
  refSchema: string | null;
  refTable: string | null;
  refColumns: string[];
  definition: string;
}

export interface TableInfo {
  columns: Column[];
  constraints: Constraint[];
  primaryKey: string[];
}

const HIDDEN_SCHEMAS = "('information_schema', 'hdb_catalog', 'hdb_views', 'pg_catalog', 'pg_toast')";

export async function listSchemas(source: string): Promise<string[]> {
  const rows = await sqlRows(
    `SELECT nspname AS name FROM pg_namespace WHERE nspname NOT IN ${HIDDEN_SCHEMAS} ` +
      `AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%' ORDER BY 1`,
    source,
  );
  return rows.map((r) => r.name ?? '');
}

export async function listRelations(source: string, schema: string): Promise<Relation[]> {
  const rows = await sqlRows(
    `SELECT c.relname AS name, CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ` +
      `WHEN 'f' THEN 'foreign table' ELSE 'table' END AS kind, obj_description(c.oid, 'pg_class') AS comment ` +
      `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ` +
      `WHERE n.nspname = ${sqlLit(schema)} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition ORDER BY 1`,
    source,
  );
  return rows.map((r) => ({ name: r.name ?? '', kind: (r.kind ?? 'table') as Relation['kind'], comment: r.comment }));
}

export async function listFunctions(source: string, schema: string): Promise<PgFunction[]> {
  const rows = await sqlRows(
    `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, ` +
      `format_type(p.prorettype, NULL) AS returns, p.proretset::text AS returns_set, ` +
      `CASE p.provolatile WHEN 'v' THEN 'VOLATILE' WHEN 's' THEN 'STABLE' ELSE 'IMMUTABLE' END AS volatility ` +
      `FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace ` +
      `WHERE n.nspname = ${sqlLit(schema)} AND p.prokind = 'f' ` +
      `AND p.prorettype <> 'pg_catalog.trigger'::regtype AND p.prorettype <> 'pg_catalog.event_trigger'::regtype ORDER BY 1, 2`,
    source,
  );
  return rows.map((r) => ({
    name: r.name ?? '',
    args: r.args ?? '',
    returns: r.returns ?? '',
    returnsSet: r.returns_set === 'true',
    volatility: r.volatility ?? '',
  }));
}

export async function functionDefinition(source: string, schema: string, name: string): Promise<string> {
  const rows = await sqlRows(
    `SELECT string_agg(pg_get_functiondef(p.oid), E'\\n\\n') AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace ` +
      `WHERE n.nspname = ${sqlLit(schema)} AND p.proname = ${sqlLit(name)}`,
    source,
  );
  return rows[0]?.def ?? '';
}

const parseList = (s: string | null): string[] => (s ? (JSON.parse(s) as string[]) : []);

export async function tableInfo(source: string, schema: string, table: string): Promise<TableInfo> {
  const rel = `${sqlLit(qualified(schema, table))}::regclass`;
  const cols = await sqlRows(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, (NOT a.attnotnull)::text AS nullable, ` +
      `pg_get_expr(d.adbin, d.adrelid) AS "default", a.attnum::text AS position ` +
      `FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum ` +
      `WHERE a.attrelid = ${rel} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    source,
  );
  const names = (arr: string, rel2: string) =>
    `array_to_json(ARRAY(SELECT a.attname FROM unnest(${arr}) WITH ORDINALITY k(n, o) ` +
    `JOIN pg_attribute a ON a.attrelid = ${rel2} AND a.attnum = k.n ORDER BY k.o))::text`;
  const cons = await sqlRows(
    `SELECT con.conname AS name, con.contype::text AS kind, ${names('con.conkey', 'con.conrelid')} AS columns, ` +
      `rn.nspname AS ref_schema, rc.relname AS ref_table, ` +
      `CASE WHEN con.contype = 'f' THEN ${names('con.confkey', 'con.confrelid')} END AS ref_columns, ` +
      `pg_get_constraintdef(con.oid) AS definition ` +
      `FROM pg_constraint con LEFT JOIN pg_class rc ON rc.oid = con.confrelid ` +
      `LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace ` +
      `WHERE con.conrelid = ${rel} AND con.contype IN ('p', 'u', 'f', 'c') ORDER BY con.contype, con.conname`,
    source,
  );
  const constraints: Constraint[] = cons.map((c) => ({
    name: c.name ?? '',
    kind: (c.kind ?? 'c') as Constraint['kind'],
    columns: parseList(c.columns),
    refSchema: c.ref_schema,
    refTable: c.ref_table,
    refColumns: parseList(c.ref_columns),
    definition: c.definition ?? '',
  }));
  return {
    columns: cols.map((c) => ({
      name: c.name ?? '',
      type: c.type ?? '',
      nullable: c.nullable === 'true',
      default: c.default,
      position: Number(c.position),
    })),
    constraints,
    primaryKey: constraints.find((c) => c.kind === 'p')?.columns ?? [],
  };
}

/** Column types offered in forms (any other type can be typed in). */
export const COMMON_TYPES = [
  'integer', 'serial', 'bigint', 'bigserial', 'text', 'boolean', 'numeric', 'real', 'double precision',
  'uuid', 'date', 'time with time zone', 'timestamp with time zone', 'timestamp', 'json', 'jsonb', 'smallint', 'varchar',
];

/** Turns form text into a JSON value for a column of a Postgres type. */
export function typedValue(type: string, text: string): unknown {
  const t = type.toLowerCase();
  if (/^(smallint|integer|bigint|int\d?|real|double precision|numeric|decimal|float\d?)/.test(t) && !t.endsWith('[]')) {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) && !/^numeric|^decimal/.test(t) ? n : text;
  }
  if (t === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  if (t === 'json' || t === 'jsonb' || t.endsWith('[]')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
