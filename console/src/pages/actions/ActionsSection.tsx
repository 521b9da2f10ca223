// ACTIONS section: sidebar of actions, the list page and the per-action tabs (modify, permissions, codegen).
import { useMetadata } from '../../metadata';
import { actionPath } from '../../paths';
import { Link, match } from '../../router';
import { DataTable, NotFound, PageHeader, Tabs } from '../../ui';
import ActionEditor from './ActionEditor';
import ActionPermissions from './ActionPermissions';
import Codegen from './Codegen';

function Sidebar() {
  const { md } = useMetadata();
  const actions = [...(md?.actions ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <aside className="sidebar" data-testid="actions-sidebar">
      <Link to="/actions/manage/add" className="btn btn-primary btn-block" data-testid="actions-create-link">
        Create
      </Link>
      <Link to="/actions/manage/actions" className="sidebar-link">
        All actions
      </Link>
      <div className="sidebar-title">Actions ({actions.length})</div>
      <ul className="sidebar-list">
        {actions.map((a) => (
          <li key={a.name}>
            <Link to={actionPath(a.name)} data-testid={`sidebar-action-${a.name}`}>
              {a.name}
            </Link>
          </li>
        ))}
      </ul>
    </aside>
  );
}

function ActionsList() {
  const { md } = useMetadata();
  const actions = [...(md?.actions ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div data-testid="actions-list">
      <PageHeader title="Actions">
        <Link to="/actions/manage/add" className="btn btn-primary" data-testid="actions-create">
          Create
        </Link>
      </PageHeader>
      <p className="muted">Actions extend the GraphQL schema with custom queries and mutations served by your HTTP handlers.</p>
      <DataTable
        testid="actions-table"
        empty="No actions yet."
        columns={['Name', 'Type', 'Kind', 'Handler', 'Roles']}
        rows={actions.map((a) => [
          <Link to={actionPath(a.name)} data-testid={`action-link-${a.name}`}>
            {a.name}
          </Link>,
          a.definition?.type ?? 'mutation',
          a.definition?.type === 'query' ? '' : a.definition?.kind ?? 'synchronous',
          <code>{a.definition?.handler}</code>,
          (a.permissions ?? []).map((p: { role: string }) => p.role).join(', '),
        ])}
      />
    </div>
  );
}

const TABS = [
  { tab: 'modify', label: 'Modify' },
  { tab: 'permissions', label: 'Permissions' },
  { tab: 'codegen', label: 'Codegen' },
];

function ActionPage({ name, tab }: { name: string; tab: string }) {
  const { md } = useMetadata();
  const action = md?.actions?.find((a) => a.name === name);
  if (!TABS.some((t) => t.tab === tab)) return <NotFound />;
  return (
    <div data-testid={`action-page-${tab}`}>
      <PageHeader title={`Action: ${name}`} />
      <Tabs items={TABS.map((t) => ({ label: t.label, to: actionPath(name, t.tab), testid: `action-tab-${t.tab}` }))} />
      <div className="tab-body">
        {!md ? null : !action ? (
          <p className="warn">There is no action named "{name}".</p>
        ) : tab === 'modify' ? (
          <ActionEditor key={name} action={action} />
        ) : tab === 'permissions' ? (
          <ActionPermissions action={action} />
        ) : (
          <Codegen name={name} />
        )}
      </div>
    </div>
  );
}

export default function ActionsSection({ path }: { path: string }) {
  let page;
  let m;
  if (match('/actions/manage/actions', path)) page = <ActionsList />;
  else if (match('/actions/manage/add', path)) page = <ActionEditor key="new" />;
  else if ((m = match('/actions/manage/:name/:tab', path))) page = <ActionPage name={m.name} tab={m.tab} />;
  else if ((m = match('/actions/manage/:name', path))) page = <ActionPage name={m.name} tab="modify" />;
  else page = <NotFound />;
  return (
    <div className="with-sidebar">
      <Sidebar />
      <div className="page">{page}</div>
    </div>
  );
}
