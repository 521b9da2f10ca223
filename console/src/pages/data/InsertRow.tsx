// Insert-row tab, and the row form shared with row editing in Browse.
import { useState } from 'react';
import { query } from '../../api';
import { act } from '../../notify';
import { Button, JsonView } from '../../ui';
import { Column, typedValue } from './pg';
import type { TableCtx } from './TablePage';

type Mode = 'value' | 'null' | 'default';

interface Cell {
  mode: Mode;
  text: string;
}

export const cellText = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** A form of a row's columns; submits only the columns whose values are given (or changed). */
export function RowForm({
  columns,
  initial,
  submitLabel,
  onSubmit,
  testid,
}: {
  columns: Column[];
  initial?: Record<string, unknown>;
  submitLabel: string;
  onSubmit: (values: Record<string, unknown>) => Promise<unknown>;
  testid: string;
}) {
  const start = (): Record<string, Cell> =>
    Object.fromEntries(
      columns.map((c) => [
        c.name,
        initial
          ? { mode: initial[c.name] === null ? 'null' : 'value', text: cellText(initial[c.name]) }
          : { mode: c.default !== null ? 'default' : 'value', text: '' },
      ]),
    );
  const [cells, setCells] = useState(start);
  const set = (name: string, patch: Partial<Cell>) => setCells({ ...cells, [name]: { ...cells[name], ...patch } });

  const submit = async () => {
    const values: Record<string, unknown> = {};
    for (const c of columns) {
      const cell = cells[c.name];
      if (cell.mode === 'default') continue;
      const v = cell.mode === 'null' ? null : typedValue(c.type, cell.text);
      if (initial) {
        const was = initial[c.name];
        if ((v === null && was === null) || (v !== null && cellText(v) === cellText(was))) continue;
      }
      values[c.name] = v;
    }
    const ok = await onSubmit(values);
    if (ok !== undefined && !initial) setCells(start());
  };

  return (
    <div className="row-form" data-testid={testid}>
      {columns.map((c) => {
        const cell = cells[c.name];
        return (
          <div className="row" key={c.name}>
            <label className="row-form-label" title={c.type}>
              {c.name}
              <span className="muted small"> {c.type}</span>
            </label>
            <input
              value={cell.text}
              disabled={cell.mode !== 'value'}
              placeholder={cell.mode === 'default' ? c.default ?? 'default' : cell.mode === 'null' ? 'NULL' : ''}
              onChange={(e) => set(c.name, { text: e.target.value, mode: 'value' })}
              data-testid={`${testid}-${c.name}`}
            />
            <select value={cell.mode} onChange={(e) => set(c.name, { mode: e.target.value as Mode })} data-testid={`${testid}-${c.name}-mode`}>
              <option value="value">value</option>
              {c.nullable && <option value="null">NULL</option>}
              {(c.default !== null || !initial) && <option value="default">default</option>}
            </select>
          </div>
        );
      })}
      <Button variant="primary" onClick={submit} testid={`${testid}-submit`}>
        {submitLabel}
      </Button>
    </div>
  );
}

export default function InsertRow({ ctx }: { ctx: TableCtx }) {
  const [last, setLast] = useState<unknown>(null);
  if (!ctx.entry) return <p className="muted">Track the table to insert rows through the query API.</p>;
  const insert = (values: Record<string, unknown>) =>
    act(async () => {
      const r = await query('insert', {
        table: { schema: ctx.schema, name: ctx.table },
        objects: [values],
        returning: ctx.info.columns.map((c) => c.name),
      });
      setLast(r);
      return r;
    }, 'Row inserted');
  return (
    <div data-testid="insert-row">
      <RowForm columns={ctx.info.columns} submitLabel="Save" onSubmit={insert} testid="insert-row-form" />
      {last !== null && (
        <>
          <h3>Inserted</h3>
          <JsonView value={last} testid="insert-row-result" />
        </>
      )}
    </div>
  );
}
