// Relationships tab: existing relationships, suggestions from foreign keys (suggest_relationships), manual add, drop, remote ones.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { confirmedEdit, QualifiedTable, refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable, ErrorBox } from '../../ui';
import RemoteRelationships from './RemoteRelationships';
import type { TableCtx } from './TablePage';

interface Suggestion {
  type: 'object' | 'array';
  from: { table: QualifiedTable; columns: string[]; constraint_name?: string };
  to: { table: QualifiedTable; columns: string[]; constraint_name?: string };
}

const fmt = (t: QualifiedTable) => (t.schema === 'public' ? t.name : `${t.schema}.${t.name}`);
const one = (cols: string[]) => (cols.length === 1 ? cols[0] : cols);

/** How a relationship's `using` reads. */
function describe(using: Record<string, any>): string {
  const fk = using.foreign_key_constraint_on;
  if (fk !== undefined) {
    if (typeof fk === 'string' || Array.isArray(fk)) return `foreign key on ${[fk].flat().join(', ')}`;
    return `foreign key on ${fmt(fk.table)} (${[fk.column ?? fk.columns].flat().join(', ')})`;
  }
  const m = using.manual_configuration;
  if (m) {
    const map = Object.entries(m.column_mapping ?? {}).map(([a, b]) => `${a} → ${b}`).join(', ');
    return `${fmt(m.remote_table)}: ${map}`;
  }
  return JSON.stringify(using);
}

const sameCols = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const sameTable = (a: QualifiedTable | string, b: QualifiedTable) =>
  typeof a === 'string' ? a === b.name && b.schema === 'public' : a.schema === b.schema && a.name === b.name;

export default function Relationships({ ctx }: { ctx: TableCtx }) {
  const { source, schema, table, entry, info } = ctx;
  const tableRef = { schema, name: table };
  const existing = [
    ...(entry?.object_relationships ?? []).map((r) => ({ ...r, type: 'object' })),
    ...(entry?.array_relationships ?? []).map((r) => ({ ...r, type: 'array' })),
  ];
  /** Whether a relationship like the suggestion is already defined on this table. */
  const exists = (s: Suggestion) =>
    existing.some(({ using }) => {
      const fk = using.foreign_key_constraint_on;
      if (typeof fk === 'string' || Array.isArray(fk)) return !!s.from.constraint_name && sameCols([fk].flat(), s.from.columns);
      if (fk) return !s.from.constraint_name && sameTable(fk.table, s.to.table) && sameCols([fk.column ?? fk.columns].flat(), s.to.columns);
      const m = using.manual_configuration;
      if (!m || !sameTable(m.remote_table, s.to.table)) return false;
      const map = Object.entries(m.column_mapping ?? {});
      return map.length === s.from.columns.length && s.from.columns.every((c, i) => m.column_mapping[c] === s.to.columns[i]);
    });
  // Suggestions for this table's foreign keys and those pointing at it, less the relationships
  // that already exist here (matched by target and columns, whichever way they were written).
  const suggestions = useAsync(async () => {
    if (!entry) return [];
    const r = await metadata<{ relationships: Suggestion[] }>('pg_suggest_relationships', { source, tables: [tableRef] });
    return r.relationships.filter((s) => s.from.table.schema === schema && s.from.table.name === table && !exists(s));
  }, [source, schema, table, JSON.stringify(entry?.object_relationships), JSON.stringify(entry?.array_relationships)]);
  const taken = new Set([
    ...info.columns.map((c) => c.name),
    ...(entry?.object_relationships ?? []).map((r) => r.name),
    ...(entry?.array_relationships ?? []).map((r) => r.name),
  ]);
  const suggestName = (s: Suggestion) => {
    let base = s.to.table.name;
    if (s.type === 'object' && s.from.constraint_name && s.from.columns.length === 1 && s.from.columns[0].endsWith('_id'))
      base = s.from.columns[0].slice(0, -3);
    if (s.type === 'array' && !base.endsWith('s')) base += 's';
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    return name;
  };
  const [names, setNames] = useState<Record<number, string>>({});
  const [manual, setManual] = useState({ type: 'object', name: '', remote: '', mapping: [{ from: '', to: '' }] });

  const create = (type: string, name: string, using: object) =>
    act(async () => {
      await metadata(`pg_create_${type}_relationship`, { source, table: tableRef, name, using });
      await refreshMetadata();
    }, `Relationship "${name}" created`);

  const addSuggested = (s: Suggestion, i: number) => {
    const name = (names[i] ?? suggestName(s)).trim();
    const using = s.from.constraint_name
      ? { foreign_key_constraint_on: one(s.from.columns) }
      : {
          foreign_key_constraint_on:
            s.to.columns.length === 1 ? { table: s.to.table, column: s.to.columns[0] } : { table: s.to.table, columns: s.to.columns },
        };
    return create(s.type, name, using);
  };

  const addManual = () => {
    const [rs, rn] = manual.remote.includes('.') ? manual.remote.split('.', 2) : [schema, manual.remote];
    const column_mapping = Object.fromEntries(manual.mapping.filter((m) => m.from && m.to).map((m) => [m.from, m.to.trim()]));
    return create(manual.type, manual.name.trim(), {
      manual_configuration: { remote_table: { schema: rs.trim(), name: rn.trim() }, column_mapping },
    });
  };

  const drop = (name: string) =>
    confirmedEdit(`Drop relationship "${name}"?`, 'pg_drop_relationship', { source, table: tableRef, relationship: name }, `Relationship "${name}" dropped`);

  if (!entry) return <p className="muted">Track the table to add relationships.</p>;
  const setMap = (i: number, patch: object) =>
    setManual({ ...manual, mapping: manual.mapping.map((m, j) => (i === j ? { ...m, ...patch } : m)) });

  return (
    <div data-testid="relationships">
      <h2>Relationships</h2>
      <DataTable
        testid="existing-relationships"
        empty="No relationships yet."
        columns={['Name', 'Type', 'Using', '']}
        rows={existing.map((r) => [
          <b>{r.name}</b>,
          r.type,
          describe(r.using),
          <Button variant="link" onClick={() => drop(r.name)} testid={`drop-relationship-${r.name}`}>
            Remove
          </Button>,
        ])}
      />
      <h2>Suggested from foreign keys</h2>
      {suggestions.error ? <ErrorBox error={suggestions.error} /> : null}
      <DataTable
        testid="suggested-relationships"
        empty="No suggestions (foreign keys to and from tracked tables are all used)."
        columns={['Type', 'From', 'To', 'Name', '']}
        rows={(suggestions.data ?? []).map((s, i) => [
          s.type,
          `${fmt(s.from.table)} (${s.from.columns.join(', ')})`,
          `${fmt(s.to.table)} (${s.to.columns.join(', ')})`,
          <input value={names[i] ?? suggestName(s)} onChange={(e) => setNames({ ...names, [i]: e.target.value })} data-testid={`suggested-name-${i}`} />,
          <Button variant="primary" onClick={() => addSuggested(s, i)} testid={`add-suggested-${i}`}>
            Add
          </Button>,
        ])}
      />
      <h2>Add a relationship manually</h2>
      <div className="panel" data-testid="manual-relationship">
        <div className="row wrap">
          <select value={manual.type} onChange={(e) => setManual({ ...manual, type: e.target.value })} data-testid="manual-rel-type">
            <option value="object">object</option>
            <option value="array">array</option>
          </select>
          <input placeholder="relationship name" value={manual.name} onChange={(e) => setManual({ ...manual, name: e.target.value })} data-testid="manual-rel-name" />
          <input placeholder="[schema.]remote table" value={manual.remote} onChange={(e) => setManual({ ...manual, remote: e.target.value })} data-testid="manual-rel-table" />
        </div>
        {manual.mapping.map((m, i) => (
          <div className="row" key={i}>
            <select value={m.from} onChange={(e) => setMap(i, { from: e.target.value })} data-testid={`manual-rel-from-${i}`}>
              <option value="">-- column --</option>
              {info.columns.map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
            <span>→</span>
            <input placeholder="remote column" value={m.to} onChange={(e) => setMap(i, { to: e.target.value })} data-testid={`manual-rel-to-${i}`} />
          </div>
        ))}
        <div className="row">
          <Button variant="link" onClick={() => setManual({ ...manual, mapping: [...manual.mapping, { from: '', to: '' }] })}>
            + add column mapping
          </Button>
          <Button variant="primary" disabled={!manual.name.trim() || !manual.remote.trim()} onClick={addManual} testid="manual-rel-save">
            Save relationship
          </Button>
        </div>
      </div>
      <RemoteRelationships ctx={ctx} />
    </div>
  );
}
