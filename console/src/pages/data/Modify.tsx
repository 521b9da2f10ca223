// Modify tab: columns (add / alter / drop through run_sql), constraints, enum flag, untrack and delete table.
import { useState } from 'react';
import { metadata, qualified, runSql, sqlIdent } from '../../api';
import { refreshMetadata } from '../../metadata';
import { act, notify } from '../../notify';
import { schemaPath } from '../../paths';
import { navigate } from '../../router';
import { Button, Check, DataTable } from '../../ui';
import Customization from './Customization';
import { Column, COMMON_TYPES } from './pg';
import { untrackTable } from './SchemaPage';
import type { TableCtx } from './TablePage';

interface Draft {
  name: string;
  type: string;
  nullable: boolean;
  default: string;
}

/** The ALTER TABLE statements turning `c` into `d`. */
export function alterColumnSql(table: string, c: Column, d: Draft): string[] {
  const out: string[] = [];
  const col = sqlIdent(c.name);
  if (d.type.trim() && d.type.trim() !== c.type)
    out.push(`ALTER TABLE ${table} ALTER COLUMN ${col} TYPE ${d.type.trim()} USING ${col}::${d.type.trim()};`);
  if (d.nullable !== c.nullable) out.push(`ALTER TABLE ${table} ALTER COLUMN ${col} ${d.nullable ? 'DROP' : 'SET'} NOT NULL;`);
  if (d.default.trim() !== (c.default ?? ''))
    out.push(
      d.default.trim()
        ? `ALTER TABLE ${table} ALTER COLUMN ${col} SET DEFAULT ${d.default.trim()};`
        : `ALTER TABLE ${table} ALTER COLUMN ${col} DROP DEFAULT;`,
    );
  if (d.name.trim() && d.name.trim() !== c.name) out.push(`ALTER TABLE ${table} RENAME COLUMN ${col} TO ${sqlIdent(d.name.trim())};`);
  return out;
}

export default function Modify({ ctx }: { ctx: TableCtx }) {
  const { source, schema, table, info, entry } = ctx;
  const qt = qualified(schema, table);
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft>({ name: '', type: '', nullable: true, default: '' });
  const [add, setAdd] = useState<Draft & { unique: boolean }>({ name: '', type: 'text', nullable: true, default: '', unique: false });

  const sql = async (statements: string, ok: string) => {
    const r = await act(() => runSql(statements, { source }), ok);
    await Promise.all([ctx.reloadInfo(), refreshMetadata()]);
    return r;
  };

  const startEdit = (c: Column) => {
    setEditing(c.name);
    setDraft({ name: c.name, type: c.type, nullable: c.nullable, default: c.default ?? '' });
  };
  const saveEdit = async (c: Column) => {
    const statements = alterColumnSql(qt, c, draft);
    if (!statements.length) return setEditing(null);
    if ((await sql(statements.join('\n'), `Column "${c.name}" modified`)) !== undefined) setEditing(null);
  };
  const dropColumn = async (c: Column) => {
    if (!window.confirm(`Drop column "${c.name}"? Its data is lost.`)) return;
    await sql(`ALTER TABLE ${qt} DROP COLUMN ${sqlIdent(c.name)};`, `Column "${c.name}" dropped`);
  };
  const addColumn = async () => {
    let s = `ALTER TABLE ${qt} ADD COLUMN ${sqlIdent(add.name.trim())} ${add.type.trim() || 'text'}`;
    if (!add.nullable) s += ' NOT NULL';
    if (add.default.trim()) s += ` DEFAULT ${add.default.trim()}`;
    if (add.unique) s += ' UNIQUE';
    if ((await sql(s + ';', `Column "${add.name.trim()}" added`)) !== undefined)
      setAdd({ name: '', type: 'text', nullable: true, default: '', unique: false });
  };
  const setEnum = (isEnum: boolean) =>
    act(async () => {
      await metadata('pg_set_table_is_enum', { source, table: { schema, name: table }, is_enum: isEnum });
      await refreshMetadata();
    }, isEnum ? 'Table set as enum' : 'Table is no longer an enum');
  const untrack = async () => {
    if (!window.confirm(`Untrack "${schema}.${table}"?`)) return;
    await act(async () => {
      if (await untrackTable(source, schema, table)) notify.success(`Table "${table}" untracked`);
      await refreshMetadata();
    });
  };
  const drop = async () => {
    if (!window.confirm(`Delete table "${schema}.${table}" and its data? This cannot be undone.`)) return;
    const r = await act(() => runSql(`DROP TABLE ${qt};`, { source, cascade: true }), `Table "${table}" deleted`);
    if (r) {
      await refreshMetadata();
      navigate(schemaPath(source, schema));
    }
  };

  return (
    <div data-testid="modify-table">
      <h2>Columns</h2>
      <DataTable
        testid="modify-columns"
        columns={['Name', 'Type', 'Nullable', 'Default', '']}
        rows={info.columns.map((c) =>
          editing === c.name
            ? [
                <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid={`edit-column-name-${c.name}`} />,
                <input list="pg-types-m" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })} data-testid={`edit-column-type-${c.name}`} />,
                <Check label="" checked={draft.nullable} onChange={(v) => setDraft({ ...draft, nullable: v })} testid={`edit-column-nullable-${c.name}`} />,
                <input value={draft.default} placeholder="SQL default" onChange={(e) => setDraft({ ...draft, default: e.target.value })} data-testid={`edit-column-default-${c.name}`} />,
                <span className="row-actions">
                  <Button variant="primary" onClick={() => saveEdit(c)} testid={`save-column-${c.name}`}>
                    Save
                  </Button>
                  <Button variant="link" onClick={() => setEditing(null)}>
                    Cancel
                  </Button>
                </span>,
              ]
            : [
                <b>{c.name}</b>,
                <code>{c.type}</code>,
                c.nullable ? 'yes' : 'no',
                <code>{c.default ?? ''}</code>,
                <span className="row-actions">
                  <Button variant="link" onClick={() => startEdit(c)} testid={`edit-column-${c.name}`}>
                    Edit
                  </Button>
                  <Button variant="link" onClick={() => dropColumn(c)} testid={`drop-column-${c.name}`}>
                    Remove
                  </Button>
                </span>,
              ],
        )}
      />
      <datalist id="pg-types-m">
        {COMMON_TYPES.map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <h3>Add a new column</h3>
      <div className="row wrap" data-testid="add-column">
        <input placeholder="column name" value={add.name} onChange={(e) => setAdd({ ...add, name: e.target.value })} data-testid="add-column-name" />
        <input list="pg-types-m" placeholder="type" value={add.type} onChange={(e) => setAdd({ ...add, type: e.target.value })} data-testid="add-column-type" />
        <input placeholder="default (SQL)" value={add.default} onChange={(e) => setAdd({ ...add, default: e.target.value })} data-testid="add-column-default" />
        <Check label="nullable" checked={add.nullable} onChange={(v) => setAdd({ ...add, nullable: v })} testid="add-column-nullable" />
        <Check label="unique" checked={add.unique} onChange={(v) => setAdd({ ...add, unique: v })} testid="add-column-unique" />
        <Button variant="primary" disabled={!add.name.trim()} onClick={addColumn} testid="add-column-submit">
          Add column
        </Button>
      </div>

      <h2>Constraints</h2>
      <DataTable
        testid="constraints"
        empty="No constraints."
        columns={['Name', 'Kind', 'Definition']}
        rows={info.constraints.map((c) => [
          c.name,
          { p: 'primary key', u: 'unique', f: 'foreign key', c: 'check' }[c.kind],
          <code>{c.definition}</code>,
        ])}
      />

      {entry && (
        <>
          <Customization ctx={ctx} />
          <h2>Enum</h2>
          <Check
            label="Set table as enum (its rows become a GraphQL enum; needs a single text primary key)"
            checked={!!entry.is_enum}
            onChange={setEnum}
            testid="set-enum"
          />
        </>
      )}

      <h2>Danger zone</h2>
      <div className="row">
        {entry && (
          <Button onClick={untrack} testid="untrack-table">
            Untrack table
          </Button>
        )}
        <Button variant="danger" onClick={drop} testid="delete-table">
          Delete table
        </Button>
      </div>
    </div>
  );
}
