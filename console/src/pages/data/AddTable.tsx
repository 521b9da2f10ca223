// Add-table page: builds a CREATE TABLE from a form, runs it with run_sql and tracks the table.
import { useState } from 'react';
import { qualified, runSql, sqlIdent } from '../../api';
import { refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { tablePath } from '../../paths';
import { navigate } from '../../router';
import { Button, Check, Field, PageHeader } from '../../ui';
import { COMMON_TYPES } from './pg';
import { trackTable } from './SchemaPage';

interface ColumnRow {
  name: string;
  type: string;
  nullable: boolean;
  unique: boolean;
  default: string;
}

interface ForeignKey {
  columns: string;
  refTable: string;
  refColumns: string;
  onDelete: string;
  onUpdate: string;
}

const emptyColumn = (): ColumnRow => ({ name: '', type: 'text', nullable: true, unique: false, default: '' });
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const ACTIONS = ['restrict', 'cascade', 'set null', 'set default', 'no action'];

/** The CREATE TABLE statement for the form. */
export function createTableSql(
  schema: string,
  name: string,
  columns: ColumnRow[],
  pk: string[],
  fks: ForeignKey[],
  comment: string,
): string {
  const lines = columns
    .filter((c) => c.name.trim())
    .map((c) => {
      let l = `${sqlIdent(c.name.trim())} ${c.type.trim() || 'text'}`;
      if (!c.nullable) l += ' NOT NULL';
      if (c.default.trim()) l += ` DEFAULT ${c.default.trim()}`;
      if (c.unique) l += ' UNIQUE';
      return l;
    });
  if (pk.length) lines.push(`PRIMARY KEY (${pk.map(sqlIdent).join(', ')})`);
  for (const fk of fks) {
    if (!fk.refTable.trim() || !list(fk.columns).length) continue;
    const [rs, rt] = fk.refTable.includes('.') ? fk.refTable.split('.', 2) : [schema, fk.refTable];
    const refCols = list(fk.refColumns).length ? list(fk.refColumns) : list(fk.columns);
    lines.push(
      `FOREIGN KEY (${list(fk.columns).map(sqlIdent).join(', ')}) REFERENCES ${qualified(rs.trim(), rt.trim())} ` +
        `(${refCols.map(sqlIdent).join(', ')}) ON UPDATE ${fk.onUpdate} ON DELETE ${fk.onDelete}`,
    );
  }
  let sql = `CREATE TABLE ${qualified(schema, name.trim())} (\n  ${lines.join(',\n  ')}\n);`;
  if (comment.trim()) sql += `\nCOMMENT ON TABLE ${qualified(schema, name.trim())} IS '${comment.replace(/'/g, "''")}';`;
  return sql;
}

export default function AddTable({ source, schema }: { source: string; schema: string }) {
  const [name, setName] = useState('');
  const [comment, setComment] = useState('');
  const [columns, setColumns] = useState<ColumnRow[]>([
    { name: 'id', type: 'serial', nullable: false, unique: false, default: '' },
    emptyColumn(),
  ]);
  const [pk, setPk] = useState<string[]>(['id']);
  const [fks, setFks] = useState<ForeignKey[]>([]);
  const sql = createTableSql(schema, name, columns, pk, fks, comment);

  const setCol = (i: number, patch: Partial<ColumnRow>) => {
    const next = columns.map((c, j) => (i === j ? { ...c, ...patch } : c));
    if (i === next.length - 1 && next[i].name.trim()) next.push(emptyColumn());
    setColumns(next);
  };
  const setFk = (i: number, patch: Partial<ForeignKey>) => setFks(fks.map((f, j) => (i === j ? { ...f, ...patch } : f)));

  const create = () =>
    act(async () => {
      await runSql(sql, { source });
      await trackTable(source, schema, name.trim());
      await refreshMetadata();
      navigate(tablePath(source, schema, name.trim(), 'modify'));
    }, `Table "${name.trim()}" created and tracked`);

  const colNames = columns.map((c) => c.name.trim()).filter(Boolean);
  return (
    <div data-testid="add-table-page">
      <PageHeader title="Add a new table" />
      <Field label="Table name">
        <input value={name} onChange={(e) => setName(e.target.value)} data-testid="table-name" id="tableName" />
      </Field>
      <Field label="Comment">
        <input value={comment} onChange={(e) => setComment(e.target.value)} data-testid="table-comment" />
      </Field>
      <h2>Columns</h2>
      <div className="grid-form" data-testid="columns">
        {columns.map((c, i) => (
          <div className="row" key={i}>
            <input placeholder="column name" value={c.name} onChange={(e) => setCol(i, { name: e.target.value })} data-testid={`column-name-${i}`} />
            <input list="pg-types" placeholder="type" value={c.type} onChange={(e) => setCol(i, { type: e.target.value })} data-testid={`column-type-${i}`} />
            <input placeholder="default (SQL)" value={c.default} onChange={(e) => setCol(i, { default: e.target.value })} data-testid={`column-default-${i}`} />
            <Check label="nullable" checked={c.nullable} onChange={(v) => setCol(i, { nullable: v })} testid={`column-nullable-${i}`} />
            <Check label="unique" checked={c.unique} onChange={(v) => setCol(i, { unique: v })} testid={`column-unique-${i}`} />
            {columns.length > 1 && (
              <Button variant="link" onClick={() => setColumns(columns.filter((_, j) => j !== i))}>
                remove
              </Button>
            )}
          </div>
        ))}
        <datalist id="pg-types">
          {COMMON_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </div>
      <h2>Primary key</h2>
      <div className="row wrap" data-testid="primary-key">
        {colNames.map((c) => (
          <Check
            key={c}
            label={c}
            checked={pk.includes(c)}
            testid={`pk-${c}`}
            onChange={(v) => setPk(v ? [...pk, c] : pk.filter((x) => x !== c))}
          />
        ))}
      </div>
      <h2>Foreign keys</h2>
      {fks.map((f, i) => (
        <div className="row wrap" key={i}>
          <input placeholder="columns (a, b)" value={f.columns} onChange={(e) => setFk(i, { columns: e.target.value })} />
          <span>references</span>
          <input placeholder="[schema.]table" value={f.refTable} onChange={(e) => setFk(i, { refTable: e.target.value })} />
          <input placeholder="ref columns" value={f.refColumns} onChange={(e) => setFk(i, { refColumns: e.target.value })} />
          {(['onUpdate', 'onDelete'] as const).map((k) => (
            <label key={k}>
              {k === 'onUpdate' ? 'on update' : 'on delete'}{' '}
              <select value={f[k]} onChange={(e) => setFk(i, { [k]: e.target.value })}>
                {ACTIONS.map((a) => (
                  <option key={a}>{a}</option>
                ))}
              </select>
            </label>
          ))}
          <Button variant="link" onClick={() => setFks(fks.filter((_, j) => j !== i))}>
            remove
          </Button>
        </div>
      ))}
      <Button
        variant="link"
        testid="add-foreign-key"
        onClick={() => setFks([...fks, { columns: '', refTable: '', refColumns: '', onDelete: 'restrict', onUpdate: 'restrict' }])}
      >
        + add a foreign key
      </Button>
      <h2>SQL</h2>
      <pre className="code" data-testid="create-table-sql">
        {sql}
      </pre>
      <Button variant="primary" onClick={create} disabled={!name.trim() || !colNames.length} testid="create-table" id="table-create">
        Add Table
      </Button>
    </div>
  );
}
