// EVENTS section: sidebar, event trigger list and pages (modify, pending, processed, invocations), cron and one-off routes.
import { allEventTriggers, useMetadata } from '../../metadata';
import { triggerPath } from '../../paths';
import { Link } from '../../router';
import { ListPage, ObjectPage, ObjectSidebar, objectRoutes, route, SectionLayout, SidebarItems } from '../../section';
import { DataTable } from '../../ui';
import { CronAdd, CronList, CronPage } from './Cron';
import { EventList, InvokePanel, Invocations } from './EventLogs';
import OneOffPage from './OneOff';
import TriggerEditor from './TriggerEditor';

function Sidebar() {
  const { md } = useMetadata();
  return (
    <ObjectSidebar
      testid="events-sidebar"
      createTo="/events/data/add"
      createLabel="Create"
      createTestid="events-create-link"
      allTo="/events/data/manage"
      allLabel="Event Triggers"
      allTestid="events-data-link"
    >
      <SidebarItems names={allEventTriggers(md).map((t) => t.trigger.name)} to={triggerPath} testid={(n) => `sidebar-trigger-${n}`} />
      <Link to="/events/cron/manage" className="sidebar-link" data-testid="events-cron-link">
        Cron Triggers
      </Link>
      <Link to="/events/one-off-scheduled-events" className="sidebar-link" data-testid="events-oneoff-link">
        One-Off Scheduled Events
      </Link>
    </ObjectSidebar>
  );
}

function TriggerList() {
  const { md } = useMetadata();
  const triggers = allEventTriggers(md);
  const ops = (d: Record<string, unknown>) =>
    [...['insert', 'update', 'delete'].filter((o) => d[o]), ...(d.enable_manual ? ['manual'] : [])].join(', ');
  return (
    <ListPage testid="triggers-list" title="Event Triggers" createTo="/events/data/add" createTestid="trigger-create-link">
      <DataTable
        testid="triggers-table"
        empty="No event triggers yet."
        columns={['Name', 'Table', 'Operations', 'Webhook']}
        rows={triggers.map(({ trigger, table, source }) => [
          <Link to={triggerPath(trigger.name)} data-testid={`trigger-link-${trigger.name}`}>
            {trigger.name}
          </Link>,
          `${source}: ${table.schema}.${table.name}`,
          ops(trigger.definition ?? {}),
          <code>{trigger.webhook ?? `env: ${trigger.webhook_from_env}`}</code>,
        ])}
      />
    </ListPage>
  );
}

const TABS = [
  { tab: 'modify', label: 'Modify' },
  { tab: 'pending', label: 'Pending Events' },
  { tab: 'processed', label: 'Processed Events' },
  { tab: 'invocations', label: 'Invocation Logs' },
];

function TriggerPage({ name, tab }: { name: string; tab: string }) {
  const { md } = useMetadata();
  const found = allEventTriggers(md).find((t) => t.trigger.name === name);
  return (
    <ObjectPage prefix="trigger" kind="Event trigger" name={name} tabs={TABS} tab={tab} pathOf={triggerPath} found={md ? !!found : undefined}>
      {() =>
        !found ? null : tab === 'modify' ? (
          <>
            <TriggerEditor key={name} existing={found} />
            <InvokePanel source={found.source} table={found.table} trigger={found.trigger} />
          </>
        ) : tab === 'invocations' ? (
          <Invocations source={found.source} trigger={name} />
        ) : (
          <EventList key={tab} source={found.source} trigger={name} status={tab as 'pending' | 'processed'} />
        )
      }
    </ObjectPage>
  );
}

export default function EventsSection({ path }: { path: string }) {
  return (
    <SectionLayout sidebar={<Sidebar />}>
      {route(path, [
        ['/events/data/manage', () => <TriggerList />],
        ['/events/data/add', () => <TriggerEditor key="new" />],
        ...objectRoutes('/events/data', TriggerPage),
        ['/events/cron/manage', () => <CronList />],
        ['/events/cron/add', () => <CronAdd />],
        ...objectRoutes('/events/cron', CronPage),
        ['/events/one-off-scheduled-events', () => <OneOffPage />],
        ['/events/one-off-scheduled-events/*', () => <OneOffPage />],
      ])}
    </SectionLayout>
  );
}
