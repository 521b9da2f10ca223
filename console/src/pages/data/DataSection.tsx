// DATA section: the left sidebar (source, schema, tracked tables) and the routes of /console/data/...
import { lazy, ReactNode } from 'react';
import { useMetadata } from '../../metadata';
import { Link, match, navigate } from '../../router';
import { schemaPath, tablePath } from '../../paths';
import { SectionLayout } from '../../section';
import { NotFound, Redirect } from '../../ui';
import { useAsync } from '../../hooks';
import { listSchemas } from './pg';
import SchemaPage from './SchemaPage';
import SqlPage from './SqlPage';
import TablePage from './TablePage';

const AddTable = lazy(() => import('./AddTable'));
const FunctionPage = lazy(() => import('./FunctionPage'));


function Sidebar({ source, schema }: { source: string; schema: string }) {
  const { md } = useMetadata();
  const schemas = useAsync(() => listSchemas(source), [source]);
  const src = md?.sources.find((s) => s.name === source);
  const tables = (src?.tables ?? []).filter((t) => t.table.schema === schema).map((t) => t.table.name).sort();
  return (
    <aside className="sidebar" data-testid="data-sidebar">
      <Link to="/data/sql" className="sidebar-link" data-testid="data-sql-link" id="data-sql-link">
        SQL
      </Link>
      <label className="field">
        <span className="field-label">Database</span>
        <select
          value={source}
          data-testid="source-select"
          onChange={(e) => navigate(schemaPath(e.target.value, 'public'))}
        >
          {(md?.sources ?? [{ name: source }]).map((s) => (
            <option key={s.name}>{s.name}</option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Schema</span>
        <select value={schema} data-testid="schema-select" onChange={(e) => navigate(schemaPath(source, e.target.value))}>
          {(schemas.data?.includes(schema) ? schemas.data : [schema, ...(schemas.data ?? [])]).map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <Link to={`${schemaPath(source, schema)}/table/add`} className="btn btn-primary btn-block" data-testid="create-table-link">
        Create Table
      </Link>
      <div className="sidebar-title">Tables ({tables.length})</div>
      <ul className="sidebar-list">
        {tables.map((t) => (
          <li key={t}>
            <Link to={tablePath(source, schema, t)} data-testid={`sidebar-table-${t}`}>
              {t}
            </Link>
          </li>
        ))}
      </ul>
      <Link to={schemaPath(source, schema)} className="sidebar-link small">
        Schema overview: track / untrack…
      </Link>
    </aside>
  );
}

function content(path: string): [ReactNode, { source: string; schema: string }] {
  let m = match('/data/sql', path);
  if (m) return [<SqlPage />, { source: 'default', schema: 'public' }];
  m = match('/data/:source', path) ?? match('/data/:source/schema', path);
  if (m) return [<Redirect to={schemaPath(m.source, 'public')} />, { source: m.source, schema: 'public' }];
  m = match('/data/:source/schema/:schema', path);
  if (m) return [<SchemaPage source={m.source} schema={m.schema} />, { source: m.source, schema: m.schema }];
  m = match('/data/:source/schema/:schema/table/add', path);
  if (m) return [<AddTable source={m.source} schema={m.schema} />, { source: m.source, schema: m.schema }];
  m = match('/data/:source/schema/:schema/:kind/:table', path);
  if (m && (m.kind === 'tables' || m.kind === 'views'))
    return [<Redirect to={tablePath(m.source, m.schema, m.table)} />, { source: m.source, schema: m.schema }];
  m = match('/data/:source/schema/:schema/:kind/:table/:tab', path);
  if (m && (m.kind === 'tables' || m.kind === 'views'))
    return [
      <TablePage key={`${m.source}.${m.schema}.${m.table}`} source={m.source} schema={m.schema} table={m.table} tab={m.tab} />,
      { source: m.source, schema: m.schema },
    ];
  m = match('/data/:source/schema/:schema/functions/:fn', path) ?? match('/data/:source/schema/:schema/functions/:fn/:tab', path);
  if (m) return [<FunctionPage source={m.source} schema={m.schema} name={m.fn} />, { source: m.source, schema: m.schema }];
  return [<NotFound />, { source: 'default', schema: 'public' }];
}

export default function DataSection({ path }: { path: string }) {
  const [page, where] = content(path);
  return <SectionLayout sidebar={<Sidebar source={where.source} schema={where.schema} />}>{page}</SectionLayout>;
}
