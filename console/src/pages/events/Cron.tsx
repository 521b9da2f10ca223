// Cron triggers: list (get_cron_triggers), add / modify (create_cron_trigger, replace), delete, and their events.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { confirmedEdit, refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { cronPath } from '../../paths';
import { Link, navigate } from '../../router';
import { ListPage, ObjectPage } from '../../section';
import { headersToRows } from '../../forms';
import { Button, Check, DataTable, ErrorBox, Field, Loading, PageHeader } from '../../ui';
import { emptySchedule, ScheduledEvents, ScheduledInvocations, scheduleArgs, ScheduleFields, ScheduleForm } from './OneOff';

const listCron = () => metadata<{ cron_triggers: any[] }>('get_cron_triggers', {}).then((r) => r.cron_triggers ?? []);

export function CronList() {
  const list = useAsync(listCron, []);
  return (
    <ListPage testid="cron-list" title="Cron triggers" createTo="/events/cron/add" createTestid="cron-create-link">
      {list.error ? <ErrorBox error={list.error} /> : null}
      {!list.data ? (
        <Loading />
      ) : (
        <DataTable
          testid="cron-table"
          empty="No cron triggers yet."
          columns={['Name', 'Schedule', 'Webhook', 'In metadata']}
          rows={list.data.map((t) => [
            <Link to={cronPath(t.name)} data-testid={`cron-link-${t.name}`}>
              {t.name}
            </Link>,
            <code>{t.schedule}</code>,
            <code>{t.webhook ?? `env: ${t.webhook_from_env}`}</code>,
            t.include_in_metadata ? 'yes' : 'no',
          ])}
        />
      )}
    </ListPage>
  );
}

function CronEditor({ existing }: { existing?: any }) {
  const [name, setName] = useState<string>(existing?.name ?? '');
  const [schedule, setSchedule] = useState<string>(existing?.schedule ?? '* * * * *');
  const [include, setInclude] = useState<boolean>(existing?.include_in_metadata ?? true);
  const [form, setForm] = useState<ScheduleForm>(() =>
    existing
      ? {
          webhook: existing.webhook ?? '',
          payload: existing.payload !== undefined && existing.payload !== null ? JSON.stringify(existing.payload, null, 2) : '',
          headers: headersToRows(existing.headers),
          numRetries: String(existing.retry_conf?.num_retries ?? 0),
          retryInterval: String(existing.retry_conf?.retry_interval_seconds ?? 10),
          timeout: String(existing.retry_conf?.timeout_seconds ?? 60),
          tolerance: String(existing.retry_conf?.tolerance_seconds ?? 21600),
          comment: existing.comment ?? '',
        }
      : emptySchedule(),
  );
  const save = () =>
    act(async () => {
      const args: Record<string, unknown> = { name: name.trim(), schedule: schedule.trim(), include_in_metadata: include, ...scheduleArgs(form) };
      if (existing) {
        args.replace = true;
        for (const k of ['request_transform', 'response_transform']) if (existing[k]) args[k] = existing[k];
      }
      await metadata('create_cron_trigger', args);
      await refreshMetadata();
      navigate(cronPath(name.trim()), !!existing);
    }, existing ? `Cron trigger "${name}" saved` : `Cron trigger "${name.trim()}" created`);
  const remove = () =>
    confirmedEdit(`Delete cron trigger "${existing.name}"?`, 'delete_cron_trigger', { name: existing.name }, `Cron trigger "${existing.name}" deleted`, '/events/cron/manage');
  return (
    <div data-testid="cron-editor">
      {!existing && <PageHeader title="Create a cron trigger" />}
      <Field label="Name">
        <input value={name} disabled={!!existing} onChange={(e) => setName(e.target.value)} data-testid="cron-name" />
      </Field>
      <Field label="Cron schedule (UTC)" hint="minute hour day-of-month month day-of-week, e.g. */5 * * * *">
        <input value={schedule} onChange={(e) => setSchedule(e.target.value)} data-testid="cron-schedule" />
      </Field>
      <ScheduleFields form={form} set={setForm} prefix="cron" />
      <Check label="Include this trigger in the exported metadata" checked={include} onChange={setInclude} testid="cron-include" />
      <div className="row">
        <Button variant="primary" disabled={!name.trim() || !form.webhook.trim()} onClick={save} testid={existing ? 'cron-save' : 'cron-create'}>
          {existing ? 'Save' : 'Create cron trigger'}
        </Button>
        {existing && (
          <Button variant="danger" onClick={remove} testid="cron-delete">
            Delete
          </Button>
        )}
      </div>
    </div>
  );
}

export function CronAdd() {
  return <CronEditor />;
}

const TABS = [
  { tab: 'modify', label: 'Modify' },
  { tab: 'pending', label: 'Pending events' },
  { tab: 'processed', label: 'Processed events' },
  { tab: 'logs', label: 'Invocation logs' },
];

export function CronPage({ name, tab }: { name: string; tab: string }) {
  const list = useAsync(listCron, [name]);
  const trigger = list.data?.find((t) => t.name === name);
  return (
    <ObjectPage prefix="cron" kind="Cron trigger" name={name} tabs={TABS} tab={tab} pathOf={cronPath} found={list.data ? !!trigger : undefined} error={list.error}>
      {() =>
        tab === 'modify' ? (
          <CronEditor key={name} existing={trigger} />
        ) : tab === 'pending' || tab === 'processed' ? (
          <ScheduledEvents type="cron" trigger={name} status={tab} />
        ) : (
          <ScheduledInvocations type="cron" trigger={name} />
        )
      }
    </ObjectPage>
  );
}
