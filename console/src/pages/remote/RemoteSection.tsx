// REMOTE SCHEMAS section: sidebar, list page and per-schema tabs (modify, details, permissions, relationships).
import { useMetadata } from '../../metadata';
import { remotePath } from '../../paths';
import { Link } from '../../router';
import { ListPage, ObjectPage, ObjectSidebar, objectRoutes, route, SectionLayout, SidebarItems } from '../../section';
import { DataTable } from '../../ui';
import RemoteDetails from './RemoteDetails';
import RemoteEditor from './RemoteEditor';
import RemotePermissions from './RemotePermissions';
import RemoteRelationships from './RemoteRelationships';

function useRemotes(): any[] {
  const { md } = useMetadata();
  return [...(md?.remote_schemas ?? [])].sort((a, b) => a.name.localeCompare(b.name));
}

function Sidebar() {
  const list = useRemotes();
  return (
    <ObjectSidebar
      testid="remote-sidebar"
      createTo="/remote-schemas/manage/add"
      createLabel="Add"
      createTestid="remote-create-link"
      allTo="/remote-schemas/manage/schemas"
      allLabel="All remote schemas"
    >
      <SidebarItems names={list.map((r) => r.name)} to={remotePath} testid={(n) => `sidebar-remote-${n}`} />
    </ObjectSidebar>
  );
}

function RemoteList() {
  const list = useRemotes();
  return (
    <ListPage
      testid="remote-list"
      title="Remote Schemas"
      createTo="/remote-schemas/manage/add"
      createTestid="remote-add"
      createLabel="Add"
      intro="Other GraphQL services merged into this engine's schema."
    >
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
    </ListPage>
  );
}

const TABS = [
  { tab: 'modify', label: 'Modify' },
  { tab: 'details', label: 'Details' },
  { tab: 'permissions', label: 'Permissions' },
  { tab: 'relationships', label: 'Relationships' },
];

function RemotePage({ name, tab }: { name: string; tab: string }) {
  const { md } = useMetadata();
  const remote = md?.remote_schemas?.find((r) => r.name === name);
  return (
    <ObjectPage prefix="remote" kind="Remote schema" name={name} tabs={TABS} tab={tab} pathOf={remotePath} found={md ? !!remote : undefined}>
      {() =>
        tab === 'modify' ? (
          <RemoteEditor key={name} existing={remote} />
        ) : tab === 'details' ? (
          <RemoteDetails name={name} />
        ) : tab === 'relationships' ? (
          <RemoteRelationships remote={remote} />
        ) : (
          <RemotePermissions remote={remote} />
        )
      }
    </ObjectPage>
  );
}

export default function RemoteSection({ path }: { path: string }) {
  return (
    <SectionLayout sidebar={<Sidebar />}>
      {route(path, [
        ['/remote-schemas/manage/schemas', () => <RemoteList />],
        ['/remote-schemas/manage/add', () => <RemoteEditor key="new" />],
        ...objectRoutes('/remote-schemas/manage', RemotePage),
      ])}
    </SectionLayout>
  );
}
