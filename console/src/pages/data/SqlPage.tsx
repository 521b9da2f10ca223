// Run SQL page (/data/sql): run_sql with cascade / read-only, results table, and "Track this" for created objects.
import { useState } from 'react';
import { metadata, runSql, SqlResult } from '../../api';
import { refreshMetadata, useMetadata } from '../../metadata';
import { act, notify } from '../../notify';
import { Button, Check, DataTable, ErrorBox, PageHeader } from '../../ui';

export interface CreatedObject {
  kind: 'table' | 'view' | 'function';
  schema: string;
  name: string;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CREATE = new RegExp(
  String.raw`create\s+(?:or\s+replace\s+)?(?:(?:temp|temporary|unlogged)\s+)?(materialized\s+view|table|view|function)\s+(?:if\s+not\s+exists\s+)?(${IDENT})(?:\s*\.\s*(${IDENT}))?`,
  'gi',
);

const unquote = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase());

/** The tables, views and functions that CREATE statements in the SQL name (comments ignored). */
export function createdObjects(sql: string): CreatedObject[] {
  const text = sql.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  const out: CreatedObject[] = [];
  for (const m of text.matchAll(CREATE)) {
    const kindWord = m[1].toLowerCase();
    const kind = kindWord === 'function' ? 'function' : kindWord === 'table' ? 'table' : 'view';
    const [schema, name] = m[3] ? [unquote(m[2]), unquote(m[3])] : ['public', unquote(m[2])];
    if (!out.some((o) => o.kind === kind && o.schema === schema && o.name === name)) out.push({ kind, schema, name });
  }
  return out;
}

export default function SqlPage() {
  const { md } = useMetadata();
  const [sql, setSql] = useState('');
  const [source, setSource] = useState('default');
  const [track, setTrack] = useState(false);
  const [cascade, setCascade] = useState(false);
  const [readOnly, setReadOnly] = useState(false);
  const [result, setResult] = useState<SqlResult | null>(null);
  const [error, setError] = useState<unknown>(null);

  const run = async () => {
    setError(null);
    setResult(null);
    try {
      const r = await runSql(sql, { source, cascade, readOnly });
      setResult(r);
      notify.success('SQL executed!');
    } catch (e) {
      setError(e);
      notify.error(e);
      return;
    }
    if (track && !readOnly) {
      for (const o of createdObjects(sql)) {
        const [type, key] = o.kind === 'function' ? ['pg_track_function', 'function'] : ['pg_track_table', 'table'];
        await act(
          () => metadata(type, { source, [key]: { schema: o.schema, name: o.name } }),
          `Tracked ${o.kind} "${o.schema}.${o.name}"`,
        );
      }
    }
    await refreshMetadata();
  };

  const rows = result?.result_type === 'TuplesOk' && result.result ? result.result : null;
  return (
    <div data-testid="sql-page">
      <PageHeader title="Raw SQL" />
      <p className="muted">
        Runs on the database through <code>run_sql</code>. Tables, views and functions that the SQL changes are followed in
        the metadata.
      </p>
      <textarea
        className="code sql-editor"
        rows={12}
        value={sql}
        spellCheck={false}
        placeholder="CREATE TABLE ..."
        id="raw-sql-input"
        data-testid="sql-input"
        onChange={(e) => setSql(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void run();
          }
        }}
      />
      <div className="row options">
        <Check label="Track this" checked={track} onChange={setTrack} testid="sql-track-this" />
        <Check label="Cascade metadata" checked={cascade} onChange={setCascade} testid="sql-cascade" />
        <Check label="Read only" checked={readOnly} onChange={setReadOnly} testid="sql-read-only" />
        {(md?.sources.length ?? 0) > 1 && (
          <select value={source} onChange={(e) => setSource(e.target.value)} data-testid="sql-source">
            {md!.sources.map((s) => (
              <option key={s.name}>{s.name}</option>
            ))}
          </select>
        )}
        <Button variant="primary" onClick={run} disabled={!sql.trim()} testid="sql-run" id="run-sql">
          Run!
        </Button>
      </div>
      {track && createdObjects(sql).length > 0 && (
        <p className="muted small">
          Will track: {createdObjects(sql).map((o) => `${o.kind} ${o.schema}.${o.name}`).join(', ')}
        </p>
      )}
      {error ? <ErrorBox error={error} /> : null}
      {result && (
        <div data-testid="sql-result">
          <h2>Result</h2>
          {rows ? (
            <>
              <p className="muted small">{rows.length - 1} row(s)</p>
              <DataTable columns={rows[0]} rows={rows.slice(1).map((r) => r.map((c) => c ?? <i>NULL</i>))} empty="No rows." />
            </>
          ) : (
            <p className="ok">SQL executed successfully ({result.result_type}).</p>
          )}
        </div>
      )}
    </div>
  );
}
