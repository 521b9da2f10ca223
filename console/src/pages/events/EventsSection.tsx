// EVENTS section: sidebar, event trigger list and pages (modify, pending, processed, invocations), cron and one-off routes.
import { allEventTriggers, useMetadata } from '../../metadata';
import { triggerPath } from '../../paths';
import { Link, match } from '../../router';
import { DataTable, NotFound, PageHeader, Tabs } from '../../ui';
import { CronAdd, CronList, CronPage } from './Cron';
import { EventList, InvokePanel, Invocations } from './EventLogs';
import OneOffPage from './OneOff';
import TriggerEditor from './TriggerEditor';

function Sidebar() {
  const { md } = useMetadata();
  const triggers = allEventTriggers(md);
  return (
    <aside className="sidebar" data-testid="events-sidebar">
      <Link to="/events/data/manage" className="sidebar-link" data-testid="events-data-link">
        Event Triggers
      </Link>
      <Link to="/events/data/add" className="btn btn-primary btn-block" data-testid="events-create-link">
        Create
      </Link>
      <ul className="sidebar-list">
        {triggers.map((t) => (
          <li key={t.trigger.name}>
            <Link to={triggerPath(t.trigger.name)} data-testid={`sidebar-trigger-${t.trigger.name}`}>
              {t.trigger.name}
            </Link>
          </li>
        ))}
      </ul>
      <Link to="/events/cron/manage" className="sidebar-link" data-testid="events-cron-link">
        Cron Triggers
      </Link>
      <Link to="/events/one-off-scheduled-events" className="sidebar-link" data-testid="events-oneoff-link">
        One-Off Scheduled Events
      </Link>
    </aside>
  );
}

function TriggerList() {
  const { md } = useMetadata();
  const triggers = allEventTriggers(md);
  const ops = (d: Record<string, unknown>) =>
    [...['insert', 'update', 'delete'].filter((o) => d[o]), ...(d.enable_manual ? ['manual'] : [])].join(', ');
  return (
    <div data-testid="triggers-list">
      <PageHeader title="Event Triggers">
        <Link to="/events/data/add" className="btn btn-primary" data-testid="trigger-create-link">
          Create
        </Link>
      </PageHeader>
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
    </div>
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
  if (!TABS.some((t) => t.tab === tab)) return <NotFound />;
  return (
    <div data-testid={`trigger-page-${tab}`}>
      <PageHeader title={`Event trigger: ${name}`} />
      <Tabs items={TABS.map((t) => ({ label: t.label, to: triggerPath(name, t.tab), testid: `trigger-tab-${t.tab}` }))} />
      <div className="tab-body">
        {!md ? null : !found ? (
          <p className="warn">There is no event trigger named "{name}".</p>
        ) : tab === 'modify' ? (
          <>
            <TriggerEditor key={name} existing={found} />
            <InvokePanel source={found.source} table={found.table} trigger={found.trigger} />
          </>
        ) : tab === 'invocations' ? (
          <Invocations source={found.source} trigger={name} />
        ) : (
          <EventList key={tab} source={found.source} trigger={name} status={tab as 'pending' | 'processed'} />
        )}
      </div>
    </div>
  );
}

function page(path: string) {
  let m;
  if (match('/events/data/manage', path)) return <TriggerList />;
  if (match('/events/data/add', path)) return <TriggerEditor key="new" />;
  if ((m = match('/events/data/:name/:tab', path))) return <TriggerPage name={m.name} tab={m.tab} />;
  if ((m = match('/events/data/:name', path))) return <TriggerPage name={m.name} tab="modify" />;
  if (match('/events/cron/manage', path)) return <CronList />;
  if (match('/events/cron/add', path)) return <CronAdd />;
  if ((m = match('/events/cron/:name/:tab', path))) return <CronPage name={m.name} tab={m.tab} />;
  if ((m = match('/events/cron/:name', path))) return <CronPage name={m.name} tab="modify" />;
  if (match('/events/one-off-scheduled-events', path) || match('/events/one-off-scheduled-events/*', path)) return <OneOffPage />;
  return <NotFound />;
}

export default function EventsSection({ path }: { path: string }) {
  return (
    <div className="with-sidebar">
      <Sidebar />
      <div className="page">{page(path)}</div>
    </div>
  );
}
