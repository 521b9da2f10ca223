// API explorer (/api/api-explorer): GraphiQL on /v1/graphql with a headers editor, run-as-role, subscriptions and Analyze.
import { GraphiQL } from 'graphiql';
import { ToolbarButton, useEditorContext } from '@graphiql/react';
import type { DocumentNode } from 'graphql';
import { createClient, Client } from 'graphql-ws';
import { useEffect, useMemo, useRef, useState } from 'react';
import { endpoint, errorMessage, getSecret, graphqlWsUrl, post } from '../../api';
import { Button } from '../../ui';
import HeadersEditor, { HeaderRowState, roleHeaders, RoleState } from './HeadersEditor';
import '@graphiql/react/dist/style.css';
import 'graphiql/src/style.css';

const ROWS_KEY = 'rasura-explorer-headers';
const ROLE_KEY = 'rasura-explorer-role';
const SECRET_HEADER = 'x-hasura-admin-secret';

function initialRows(): HeaderRowState[] {
  let rows: HeaderRowState[] = [];
  try {
    rows = JSON.parse(localStorage.getItem(ROWS_KEY) ?? '[]');
  } catch {
    rows = [];
  }
  if (!rows.length) rows = [{ enabled: true, key: 'content-type', value: 'application/json' }];
  const secret = getSecret();
  rows = rows.filter((r) => r.key.toLowerCase() !== SECRET_HEADER);
  if (secret !== null) rows.push({ enabled: true, key: SECRET_HEADER, value: secret });
  return rows;
}

function initialRole(): RoleState {
  try {
    return { enabled: false, role: '', vars: [], ...JSON.parse(localStorage.getItem(ROLE_KEY) ?? '{}') };
  } catch {
    return { enabled: false, role: '', vars: [] };
  }
}

/** Whether the operation to run (by name, or the only one) is a subscription. */
function isSubscription(doc: DocumentNode | undefined, query: string, name?: string | null): boolean {
  if (!doc) return /^\s*subscription\b/.test(query.replace(/#[^\n]*/g, ''));
  const ops = doc.definitions.filter((d) => d.kind === 'OperationDefinition');
  const op = ops.find((d) => d.kind === 'OperationDefinition' && (!name || d.name?.value === name)) ?? ops[0];
  return op?.kind === 'OperationDefinition' && op.operation === 'subscription';
}

interface ExplainField {
  field: string;
  sql: string;
  plan: string[];
}

function AnalyzeButton({ onAnalyze }: { onAnalyze: (q: string, vars: string, op: string | null) => void }) {
  const { queryEditor, variableEditor } = useEditorContext({ nonNull: true });
  return (
    <ToolbarButton
      label="Analyze (generated SQL)"
      data-testid="explorer-analyze"
      onClick={() => onAnalyze(queryEditor?.getValue() ?? '', variableEditor?.getValue() ?? '', queryEditor?.operationName ?? null)}
    >
      <span className="analyze-icon">SQL</span>
    </ToolbarButton>
  );
}

export default function Explorer() {
  const [rows, setRows] = useState(initialRows);
  const [role, setRole] = useState(initialRole);
  const [lastResponse, setLastResponse] = useState('');
  const [analysis, setAnalysis] = useState<{ fields?: ExplainField[]; error?: string } | null>(null);
  const wsRef = useRef<Client | null>(null);

  useEffect(() => {
    localStorage.setItem(ROWS_KEY, JSON.stringify(rows.filter((r) => r.key.toLowerCase() !== SECRET_HEADER)));
  }, [rows]);
  useEffect(() => localStorage.setItem(ROLE_KEY, JSON.stringify(role)), [role]);

  const headers = useMemo(() => {
    const h: Record<string, string> = {};
    for (const r of rows) if (r.enabled && r.key.trim()) h[r.key.trim()] = r.value;
    return { ...h, ...roleHeaders(role) };
  }, [rows, role]);
  // The fetcher (and so GraphiQL's schema introspection) follows the headers once typing pauses.
  const [headersKey, setHeadersKey] = useState(() => JSON.stringify(headers));
  useEffect(() => {
    const t = setTimeout(() => setHeadersKey(JSON.stringify(headers)), 400);
    return () => clearTimeout(t);
  }, [headers]);

  const fetcher = useMemo(() => {
    wsRef.current?.dispose();
    wsRef.current = null;
    const url = endpoint() + '/v1/graphql';
    const headers = JSON.parse(headersKey) as Record<string, string>;
    return (params: { query: string; operationName?: string | null; variables?: unknown }, opts?: { documentAST?: DocumentNode }) => {
      if (isSubscription(opts?.documentAST, params.query, params.operationName)) {
        wsRef.current ??= createClient({ url: graphqlWsUrl(), connectionParams: { headers }, lazy: true, retryAttempts: 0 });
        const it = wsRef.current.iterate({ query: params.query, operationName: params.operationName ?? undefined, variables: params.variables as Record<string, unknown> });
        return (async function* () {
          for await (const r of it) {
            setLastResponse(JSON.stringify(r));
            yield r;
          }
        })() as AsyncIterable<any>;
      }
      return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(params) })
        .then((res) => res.json())
        .then((json) => {
          if (!params.query.includes('__schema')) setLastResponse(JSON.stringify(json));
          return json;
        });
    };
  }, [headersKey]);

  useEffect(
    () => () => {
      void wsRef.current?.dispose();
    },
    [],
  );

  const analyze = async (query: string, vars: string, operationName: string | null) => {
    setAnalysis({});
    const user: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase().startsWith('x-hasura-') && k.toLowerCase() !== SECRET_HEADER) user[k.toLowerCase()] = v;
    try {
      const variables = vars.trim() ? JSON.parse(vars) : {};
      const fields = (await post('/v1/graphql/explain', { query: { query, variables, operationName }, user })) as ExplainField[];
      setAnalysis({ fields });
    } catch (e) {
      setAnalysis({ error: errorMessage(e) });
    }
  };

  const initialQuery = new URLSearchParams(window.location.search).get('query') ?? undefined;
  return (
    <div className="explorer" data-testid="api-explorer">
      <div className="explorer-top">
        <div className="row">
          <span className="muted">GraphQL Endpoint</span>
          <code data-testid="graphql-endpoint">POST {endpoint()}/v1/graphql</code>
        </div>
        <HeadersEditor rows={rows} onRows={setRows} role={role} onRole={setRole} />
      </div>
      <div className="explorer-graphiql">
        <GraphiQL
          fetcher={fetcher}
          query={initialQuery}
          isHeadersEditorEnabled={false}
          shouldPersistHeaders={false}
          toolbar={{ additionalContent: <AnalyzeButton onAnalyze={analyze} /> }}
        />
      </div>
      <pre className="hidden-response" data-testid="explorer-response" aria-hidden="true">
        {lastResponse}
      </pre>
      {analysis && (
        <div className="modal-backdrop" onClick={() => setAnalysis(null)}>
          <div className="modal" onClick={(e) => e.stopPropagation()} data-testid="analyze-result">
            <div className="page-header">
              <h2>Query analysis</h2>
              <Button variant="link" onClick={() => setAnalysis(null)} testid="analyze-close">
                Close
              </Button>
            </div>
            {!analysis.fields && !analysis.error && <p className="muted">Analyzing…</p>}
            {analysis.error && <div className="error-box">{analysis.error}</div>}
            {analysis.fields?.map((f, i) => (
              <div key={i} className="analyze-field">
                <h3>{f.field}</h3>
                <h4>Generated SQL</h4>
                <pre className="code" data-testid={`analyze-sql-${i}`}>
                  {f.sql}
                </pre>
                <h4>Execution plan</h4>
                <pre className="code">{(f.plan ?? []).join('\n')}</pre>
              </div>
            ))}
          </div>
        </div>
      )}
    </div>
  );
}
