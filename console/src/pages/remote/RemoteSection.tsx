// REMOTE SCHEMAS section: sidebar, list page and per-schema tabs (modify, details, permissions).
import { useMetadata } from '../../metadata';
import { remotePath } from '../../paths';
import { Link, match } from '../../router';
import { DataTable, NotFound, PageHeader, Tabs } from '../../ui';
import RemoteDetails from './RemoteDetails';
import RemoteEditor from './RemoteEditor';
import RemotePermissions from './RemotePermissions';

function Sidebar() {
  const { md } = useMetadata();
  const list = [...(md?.remote_schemas ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <aside className="sidebar" data-testid="remote-sidebar">
      <Link to="/remote-schemas/manage/add" className="btn btn-primary btn-block" data-testid="remote-create-link">
        Add
      </Link>
      <Link to="/remote-schemas/manage/schemas" className="sidebar-link">
        All remote schemas
      </Link>
      <ul className="sidebar-list">
        {list.map((r) => (
          <li key={r.name}>
            <Link to={remotePath(r.name)} data-testid={`sidebar-remote-${r.name}`}>
              {r.name}
            </Link>
          </li>
        ))}
      </ul>
    </aside>
  );
}

function RemoteList() {
  const { md } = useMetadata();
  const list = [...(md?.remote_schemas ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div data-testid="remote-list">
      <PageHeader title="Remote Schemas">
        <Link to="/remote-schemas/manage/add" className="btn btn-primary" data-testid="remote-add">
          Add
        </Link>
      </PageHeader>
      <p className="muted">Other GraphQL services merged into this engine's schema.</p>
      <DataTable
        testid="remote-table"
        empty="No remote schemas yet."
        columns={['Name', 'URL', 'Permissions']}
        rows={list.map((r) => [
          <Link to={remotePath(r.name)} data-testid={`remote-link-${r.name}`}>
            {r.name}
          </Link>,
          <code>{r.definition?.url ?? `env: ${r.definition?.url_from_env}`}</code>,
          (r.permissions ?? []).map((p: { role: string }) => p.role).join(', '),
        ])}
      />
    </div>
  );
}

const TABS = [
  { tab: 'modify', label: 'Modify' },
  { tab: 'details', label: 'Details' },
  { tab: 'permissions', label: 'Permissions' },
];

function RemotePage({ name, tab }: { name: string; tab: string }) {
  const { md } = useMetadata();
  const remote = md?.remote_schemas?.find((r) => r.name === name);
  if (!TABS.some((t) => t.tab === tab)) return <NotFound />;
  return (
    <div data-testid={`remote-page-${tab}`}>
      <PageHeader title={`Remote schema: ${name}`} />
      <Tabs items={TABS.map((t) => ({ label: t.label, to: remotePath(name, t.tab), testid: `remote-tab-${t.tab}` }))} />
      <div className="tab-body">
        {!md ? null : !remote ? (
          <p className="warn">There is no remote schema named "{name}".</p>
        ) : tab === 'modify' ? (
          <RemoteEditor key={name} existing={remote} />
        ) : tab === 'details' ? (
          <RemoteDetails name={name} />
        ) : (
          <RemotePermissions remote={remote} />
        )}
      </div>
    </div>
  );
}

export default function RemoteSection({ path }: { path: string }) {
  let m;
  let page;
  if (match('/remote-schemas/manage/schemas', path)) page = <RemoteList />;
  else if (match('/remote-schemas/manage/add', path)) page = <RemoteEditor key="new" />;
  else if ((m = match('/remote-schemas/manage/:name/:tab', path))) page = <RemotePage name={m.name} tab={m.tab} />;
  else if ((m = match('/remote-schemas/manage/:name', path))) page = <RemotePage name={m.name} tab="modify" />;
  else page = <NotFound />;
  return (
    <div className="with-sidebar">
      <Sidebar />
      <div className="page">{page}</div>
    </div>
  );
}
