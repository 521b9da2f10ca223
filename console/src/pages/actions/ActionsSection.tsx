// ACTIONS section: sidebar of actions, the list page and the per-action tabs (modify, relationships, permissions, codegen).
import { lazy } from 'react';
import { useMetadata } from '../../metadata';
import { actionPath } from '../../paths';
import { Link } from '../../router';
import { ListPage, ObjectPage, ObjectSidebar, objectRoutes, route, SectionLayout, SidebarItems } from '../../section';
import { DataTable } from '../../ui';
import ActionEditor from './ActionEditor';
import ActionPermissions from './ActionPermissions';
import Codegen from './Codegen';

// The relationships tab (with the catalog reads it needs) loads when first opened.
const ActionRelationships = lazy(() => import('./ActionRelationships'));

function useActions(): any[] {
  const { md } = useMetadata();
  return [...(md?.actions ?? [])].sort((a, b) => a.name.localeCompare(b.name));
}

function Sidebar() {
  const actions = useActions();
  return (
    <ObjectSidebar
      testid="actions-sidebar"
      createTo="/actions/manage/add"
      createLabel="Create"
      createTestid="actions-create-link"
      allTo="/actions/manage/actions"
      allLabel="All actions"
      title={`Actions (${actions.length})`}
    >
      <SidebarItems names={actions.map((a) => a.name)} to={actionPath} testid={(n) => `sidebar-action-${n}`} />
    </ObjectSidebar>
  );
}

function ActionsList() {
  const actions = useActions();
  return (
    <ListPage
      testid="actions-list"
      title="Actions"
      createTo="/actions/manage/add"
      createTestid="actions-create"
      intro="Actions extend the GraphQL schema with custom queries and mutations served by your HTTP handlers."
    >
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
    </ListPage>
  );
}

const TABS = [
  { tab: 'modify', label: 'Modify' },
  { tab: 'relationships', label: 'Relationships' },
  { tab: 'permissions', label: 'Permissions' },
  { tab: 'codegen', label: 'Codegen' },
];

function ActionPage({ name, tab }: { name: string; tab: string }) {
  const { md } = useMetadata();
  const action = md?.actions?.find((a) => a.name === name);
  return (
    <ObjectPage prefix="action" kind="Action" name={name} tabs={TABS} tab={tab} pathOf={actionPath} found={md ? !!action : undefined}>
      {() =>
        tab === 'modify' ? (
          <ActionEditor key={name} action={action} />
        ) : tab === 'relationships' ? (
          <ActionRelationships action={action} />
        ) : tab === 'permissions' ? (
          <ActionPermissions action={action} />
        ) : (
          <Codegen name={name} />
        )
      }
    </ObjectPage>
  );
}

export default function ActionsSection({ path }: { path: string }) {
  return (
    <SectionLayout sidebar={<Sidebar />}>
      {route(path, [
        ['/actions/manage/actions', () => <ActionsList />],
        ['/actions/manage/add', () => <ActionEditor key="new" />],
        ...objectRoutes('/actions/manage', ActionPage),
      ])}
    </SectionLayout>
  );
}
