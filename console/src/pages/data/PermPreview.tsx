// Preview of a select permission: the rows a role sees (the saved permission), through /v2/query select with role headers.
import { useState } from 'react';
import { post } from '../../api';
import { Permission } from '../../metadata';
import { Button, DataTable, ErrorBox } from '../../ui';
import { sessionVars } from './boolexp';
import type { TableCtx } from './TablePage';

const LIMIT = 20;

interface Var {
  key: string;
  value: string;
}

type Result = { rows: Record<string, unknown>[] } | { error: unknown };

const cell = (v: unknown) => (v === null ? <i className="muted">null</i> : typeof v === 'object' ? JSON.stringify(v) : String(v));

export default function PermPreview({ ctx, role, saved, unsaved }: { ctx: TableCtx; role: string; saved: Permission | undefined; unsaved: boolean }) {
  const [vars, setVars] = useState<Var[]>(() => {
    const used = sessionVars(saved?.permission?.filter).filter((v) => v.toLowerCase() !== 'x-hasura-role');
    return used.length ? used.map((key) => ({ key, value: '' })) : [{ key: 'x-hasura-user-id', value: '' }];
  });
  const [result, setResult] = useState<Result | null>(null);
  const setVar = (i: number, patch: Partial<Var>) => setVars(vars.map((v, j) => (i === j ? { ...v, ...patch } : v)));

  const run = async () => {
    const headers: Record<string, string> = { 'x-hasura-role': role };
    for (const v of vars) if (v.key.trim()) headers[v.key.trim().toLowerCase()] = v.value;
    try {
      const rows = (await post(
        '/v2/query',
        { type: 'select', args: { source: ctx.source, table: { schema: ctx.schema, name: ctx.table }, columns: ['*'], limit: LIMIT } },
        headers,
      )) as Record<string, unknown>[];
      setResult({ rows });
    } catch (error) {
      setResult({ error });
    }
  };

  const columns = result && 'rows' in result ? [...new Set(result.rows.flatMap((r) => Object.keys(r)))] : [];
  return (
    <div className="perm-section" data-testid="perm-preview-section">
      <h4>Preview as {role}</h4>
      <p className="muted small">
        Runs a select on this table (at most {LIMIT} rows) with <code>x-hasura-role: {role}</code> and the session variables below,
        under the <b>saved</b> permission: save your changes first to see their effect.
      </p>
      {unsaved && saved && <p className="warn small">The row filter above has unsaved changes: the preview does not include them.</p>}
      {vars.map((v, i) => (
        <div className="row" key={i}>
          <input placeholder="x-hasura-user-id" value={v.key} onChange={(e) => setVar(i, { key: e.target.value })} data-testid={`perm-preview-var-key-${i}`} />
          <input placeholder="value" value={v.value} onChange={(e) => setVar(i, { value: e.target.value })} data-testid={`perm-preview-var-value-${i}`} />
          <Button variant="link" onClick={() => setVars(vars.filter((_, j) => j !== i))}>
            remove
          </Button>
        </div>
      ))}
      <div className="row">
        <Button variant="link" testid="perm-preview-var-add" onClick={() => setVars([...vars, { key: '', value: '' }])}>
          + add session variable
        </Button>
        <Button onClick={run} disabled={!saved} testid="perm-preview" title={saved ? undefined : 'Save the permission first'}>
          Preview
        </Button>
        {!saved && <span className="muted small">Save the permission first.</span>}
      </div>
      {result && (
        <div className="perm-preview-result" data-testid="perm-preview-result" data-state={'rows' in result ? 'rows' : 'error'}>
          {'error' in result ? (
            <ErrorBox error={result.error} />
          ) : (
            <>
              <p className="muted small" data-testid="perm-preview-count">
                {result.rows.length} row{result.rows.length === 1 ? '' : 's'}
                {result.rows.length === LIMIT ? ` (the first ${LIMIT})` : ''}
              </p>
              <DataTable columns={columns} rows={result.rows.map((r) => columns.map((c) => cell(r[c])))} empty="No rows." />
            </>
          )}
        </div>
      )}
    </div>
  );
}
