// Browse-rows tab: filters, sort and pagination through the query API's select / count; edit and delete by primary key.
import { useState } from 'react';
import { query } from '../../api';
import { useAsync } from '../../hooks';
import { act } from '../../notify';
import { Button, DataTable, ErrorBox, Loading } from '../../ui';
import { cellText, RowForm } from './InsertRow';
import { typedValue } from './pg';
import type { TableCtx } from './TablePage';

interface Filter {
  column: string;
  op: string;
  value: string;
}

const OPS = ['_eq', '_neq', '_gt', '_lt', '_gte', '_lte', '_like', '_nlike', '_ilike', '_nilike', '_in', '_nin', '_is_null'];

export default function Browse({ ctx }: { ctx: TableCtx }) {
  const cols = ctx.info.columns;
  const [filters, setFilters] = useState<Filter[]>([]);
  const [sort, setSort] = useState<{ column: string; desc: boolean } | null>(null);
  const [limit, setLimit] = useState(10);
  const [offset, setOffset] = useState(0);
  const [applied, setApplied] = useState<{ where: object; orderBy: string[] }>({ where: {}, orderBy: [] });
  const [editing, setEditing] = useState<Record<string, unknown> | null>(null);
  const table = { schema: ctx.schema, name: ctx.table };
  const pk = ctx.info.primaryKey;

  const data = useAsync(async () => {
    if (!ctx.entry) return null;
    const [rows, count] = await Promise.all([
      query<Record<string, unknown>[]>('select', { table, columns: ['*'], where: applied.where, order_by: applied.orderBy, limit, offset }),
      query<{ count: number }>('count', { table, where: applied.where }),
    ]);
    return { rows, count: count.count };
  }, [ctx.schema, ctx.table, !!ctx.entry, JSON.stringify(applied), limit, offset]);

  if (!ctx.entry) return <p className="muted">Track the table to browse its rows through the query API.</p>;

  const typeOf = (c: string) => cols.find((x) => x.name === c)?.type ?? 'text';
  const whereOf = (fs: Filter[]) => {
    const parts = fs
      .filter((f) => f.column)
      .map((f) => {
        let v: unknown;
        if (f.op === '_is_null') v = f.value !== 'false';
        else if (f.op === '_in' || f.op === '_nin') {
          const t = f.value.trim();
          v = t.startsWith('[') ? JSON.parse(t) : t.split(',').map((x) => typedValue(typeOf(f.column), x.trim()));
        } else v = typedValue(typeOf(f.column), f.value);
        return { [f.column]: { [f.op]: v } };
      });
    return parts.length === 0 ? {} : parts.length === 1 ? parts[0] : { _and: parts };
  };
  const apply = (s = sort) => {
    try {
      setApplied({ where: whereOf(filters), orderBy: s ? [(s.desc ? '-' : '+') + s.column] : [] });
      setOffset(0);
    } catch (e) {
      act(() => Promise.reject(e));
    }
  };
  const toggleSort = (c: string) => {
    const s = sort?.column === c ? (sort.desc ? null : { column: c, desc: true }) : { column: c, desc: false };
    setSort(s);
    apply(s);
  };
  const pkWhere = (row: Record<string, unknown>) =>
    pk.length === 1 ? { [pk[0]]: { _eq: row[pk[0]] } } : { _and: pk.map((c) => ({ [c]: { _eq: row[c] } })) };
  const remove = async (row: Record<string, unknown>) => {
    if (!window.confirm('Delete this row?')) return;
    await act(() => query('delete', { table, where: pkWhere(row) }), 'Row deleted');
    await data.reload();
  };
  const save = (values: Record<string, unknown>) =>
    act(async () => {
      if (Object.keys(values).length) await query('update', { table, where: pkWhere(editing!), $set: values });
      setEditing(null);
      await data.reload();
      return true;
    }, 'Row updated');

  const setFilter = (i: number, patch: Partial<Filter>) => setFilters(filters.map((f, j) => (i === j ? { ...f, ...patch } : f)));
  const count = data.data?.count ?? 0;
  return (
    <div data-testid="browse-rows">
      <div className="filters" data-testid="browse-filters">
        {filters.map((f, i) => (
          <div className="row" key={i}>
            <select value={f.column} onChange={(e) => setFilter(i, { column: e.target.value })} data-testid={`filter-column-${i}`}>
              <option value="">-- column --</option>
              {cols.map((c) => (
                <option key={c.name}>{c.name}</option>
              ))}
            </select>
            <select value={f.op} onChange={(e) => setFilter(i, { op: e.target.value })} data-testid={`filter-op-${i}`}>
              {OPS.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
            <input
              value={f.value}
              placeholder={f.op === '_in' || f.op === '_nin' ? 'a, b, c or JSON array' : f.op === '_is_null' ? 'true / false' : 'value'}
              onChange={(e) => setFilter(i, { value: e.target.value })}
              onKeyDown={(e) => e.key === 'Enter' && apply()}
              data-testid={`filter-value-${i}`}
            />
            <Button variant="link" onClick={() => setFilters(filters.filter((_, j) => j !== i))}>
              remove
            </Button>
          </div>
        ))}
        <div className="row">
          <Button variant="link" testid="add-filter" onClick={() => setFilters([...filters, { column: cols[0]?.name ?? '', op: '_eq', value: '' }])}>
            + add filter
          </Button>
          <Button variant="primary" onClick={() => apply()} testid="run-filter">
            Run query
          </Button>
        </div>
      </div>
      {data.error ? <ErrorBox error={data.error} /> : null}
      {data.loading && !data.data ? <Loading /> : null}
      {editing && (
        <div className="panel" data-testid="edit-row">
          <h3>Edit row</h3>
          <RowForm columns={cols} initial={editing} submitLabel="Save" onSubmit={save} testid="edit-row-form" />
          <Button variant="link" onClick={() => setEditing(null)}>
            Cancel
          </Button>
        </div>
      )}
      <DataTable
        testid="browse-table"
        keepHeader
        empty="No rows found."
        columns={[
          '',
          ...cols.map((c) => (
            <span className="sortable" onClick={() => toggleSort(c.name)} data-testid={`sort-${c.name}`}>
              {c.name}
              {sort?.column === c.name ? (sort.desc ? ' ▼' : ' ▲') : ''}
            </span>
          )),
        ]}
        rows={(data.data?.rows ?? []).map((row, i) => [
          <span className="row-actions">
            <Button variant="link" disabled={!pk.length} title={pk.length ? 'Edit' : 'No primary key'} onClick={() => setEditing(row)} testid={`edit-row-${i}`}>
              Edit
            </Button>
            <Button variant="link" disabled={!pk.length} onClick={() => remove(row)} testid={`delete-row-${i}`}>
              Delete
            </Button>
          </span>,
          ...cols.map((c) => (row[c.name] === null ? <i className="muted">NULL</i> : cellText(row[c.name]))),
        ])}
      />
      <div className="row pager">
        <Button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))} testid="page-prev">
          ‹ Previous
        </Button>
        <span data-testid="page-info">
          {count === 0 ? 0 : offset + 1}–{Math.min(offset + limit, count)} of {count}
        </span>
        <Button disabled={offset + limit >= count} onClick={() => setOffset(offset + limit)} testid="page-next">
          Next ›
        </Button>
        <select value={limit} onChange={(e) => { setLimit(Number(e.target.value)); setOffset(0); }} data-testid="page-size">
          {[5, 10, 20, 50, 100].map((n) => (
            <option key={n} value={n}>
              {n} rows
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
