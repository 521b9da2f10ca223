// Scheduled events: the shared event / invocation tables (get_scheduled_events) and the one-off events page.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { act } from '../../notify';
import { HeaderList, HeaderRow, rowsToHeaders } from '../../forms';
import { Button, DataTable, ErrorBox, Field, JsonInput, JsonView, Loading, PageHeader, parseJson } from '../../ui';

const PENDING = ['scheduled', 'locked'];
const PROCESSED = ['delivered', 'error', 'dead'];

/** Scheduled events of a cron trigger or the one-off events, by status group. */
export function ScheduledEvents({ type, trigger, status }: { type: 'cron' | 'one_off'; trigger?: string; status: 'pending' | 'processed' }) {
  const events = useAsync(
    () =>
      metadata<{ events: any[] }>('get_scheduled_events', {
        type,
        ...(trigger ? { trigger_name: trigger } : {}),
        status: status === 'pending' ? PENDING : PROCESSED,
        limit: 50,
        offset: 0,
      }),
    [type, trigger, status],
  );
  const [open, setOpen] = useState<string | null>(null);
  const remove = async (id: string) => {
    if (!window.confirm('Delete this scheduled event?')) return;
    await act(() => metadata('delete_scheduled_event', { type, event_id: id }), 'Scheduled event deleted');
    await events.reload();
  };
  if (events.error) return <ErrorBox error={events.error} />;
  if (!events.data) return <Loading />;
  return (
    <div data-testid={`scheduled-${status}`}>
      <Button onClick={events.reload} testid="scheduled-refresh">Refresh</Button>
      <DataTable
        testid={`scheduled-${status}-table`}
        empty={`No ${status} events.`}
        columns={['Id', type === 'cron' ? 'Trigger' : 'Webhook', 'Scheduled at', 'Status', 'Tries', '']}
        rows={events.data.events.map((e) => [
          <code>{e.id}</code>,
          type === 'cron' ? e.trigger_name : <code>{typeof e.webhook_conf === 'string' ? e.webhook_conf : JSON.stringify(e.webhook_conf)}</code>,
          e.scheduled_time,
          e.status,
          e.tries,
          <span className="row-actions">
            <Button variant="link" onClick={() => setOpen(open === e.id ? null : e.id)}>{open === e.id ? 'hide' : 'invocations'}</Button>
            {status === 'pending' && <Button variant="link" onClick={() => remove(e.id)} testid={`scheduled-delete-${e.id}`}>Delete</Button>}
          </span>,
        ])}
      />
      {open && <ScheduledInvocations type={type} eventId={open} />}
    </div>
  );
}

/** Invocation logs of one scheduled event, or of a cron trigger. */
export function ScheduledInvocations({ type, eventId, trigger }: { type: 'cron' | 'one_off'; eventId?: string; trigger?: string }) {
  const logs = useAsync(
    () =>
      metadata<{ invocations: any[] }>('get_scheduled_event_invocations', {
        type,
        ...(eventId ? { event_id: eventId } : { trigger_name: trigger }),
        limit: 50,
        offset: 0,
      }),
    [type, eventId, trigger],
  );
  if (logs.error) return <ErrorBox error={logs.error} />;
  if (!logs.data) return <Loading />;
  return (
    <div data-testid="scheduled-invocations">
      <DataTable
        empty="No invocations."
        columns={['Id', 'Event', 'Status', 'Created', 'Response']}
        rows={logs.data.invocations.map((i) => [
          <code>{i.id}</code>,
          <code>{i.event_id}</code>,
          i.status ?? '—',
          i.created_at,
          <details>
            <summary>show</summary>
            <JsonView value={{ request: i.request, response: i.response }} />
          </details>,
        ])}
      />
    </div>
  );
}

/** Form fields shared by cron triggers and one-off events. */
export interface ScheduleForm {
  webhook: string;
  payload: string;
  headers: HeaderRow[];
  numRetries: string;
  retryInterval: string;
  timeout: string;
  tolerance: string;
  comment: string;
}

export function scheduleArgs(f: ScheduleForm): Record<string, unknown> {
  const [payload, err] = f.payload.trim() ? parseJson(f.payload) : [undefined, null];
  if (err) throw new Error(`payload: invalid JSON (${err})`);
  return {
    webhook: f.webhook.trim(),
    ...(payload !== undefined ? { payload } : {}),
    headers: rowsToHeaders(f.headers),
    retry_conf: {
      num_retries: Number(f.numRetries),
      retry_interval_seconds: Number(f.retryInterval),
      timeout_seconds: Number(f.timeout),
      tolerance_seconds: Number(f.tolerance),
    },
    ...(f.comment.trim() ? { comment: f.comment.trim() } : {}),
  };
}

export function ScheduleFields({ form, set, prefix }: { form: ScheduleForm; set: (f: ScheduleForm) => void; prefix: string }) {
  return (
    <>
      <Field label="Webhook URL">
        <input value={form.webhook} placeholder="http://localhost:3000/scheduled" onChange={(e) => set({ ...form, webhook: e.target.value })} data-testid={`${prefix}-webhook`} />
      </Field>
      <Field label="Payload (JSON)">
        <JsonInput value={form.payload} onChange={(v) => set({ ...form, payload: v })} rows={4} testid={`${prefix}-payload`} />
      </Field>
      <details>
        <summary>Headers</summary>
        <HeaderList rows={form.headers} onChange={(h) => set({ ...form, headers: h })} testid={`${prefix}-headers`} />
      </details>
      <details>
        <summary>Retry configuration</summary>
        <div className="row wrap">
          {(
            [
              ['numRetries', 'num_retries'],
              ['retryInterval', 'retry_interval_seconds'],
              ['timeout', 'timeout_seconds'],
              ['tolerance', 'tolerance_seconds'],
            ] as const
          ).map(([k, label]) => (
            <Field key={k} label={label}>
              <input type="number" min={0} value={form[k]} onChange={(e) => set({ ...form, [k]: e.target.value })} data-testid={`${prefix}-${label}`} />
            </Field>
          ))}
        </div>
      </details>
      <Field label="Comment">
        <input value={form.comment} onChange={(e) => set({ ...form, comment: e.target.value })} data-testid={`${prefix}-comment`} />
      </Field>
    </>
  );
}

export const emptySchedule = (): ScheduleForm => ({
  webhook: '',
  payload: '',
  headers: [],
  numRetries: '0',
  retryInterval: '10',
  timeout: '60',
  tolerance: '21600',
  comment: '',
});

/** A time as a datetime-local input shows it ("YYYY-MM-DDTHH:MM", local time). */
const localInputTime = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

/** /events/one-off-scheduled-events: create one-off events and list them. */
export default function OneOffPage() {
  const [form, setForm] = useState(emptySchedule);
  // A datetime-local input holds local time to the minute, in this time zone: the first whole
  // minute at least a minute from now (rounding down could leave a second to spare).
  const [at, setAt] = useState(() => localInputTime(new Date(Math.ceil((Date.now() + 60_000) / 60_000) * 60_000)));
  const [tab, setTab] = useState<'pending' | 'processed'>('pending');
  const [version, setVersion] = useState(0);
  const create = () =>
    act(async () => {
      const r = await metadata('create_scheduled_event', { ...scheduleArgs(form), schedule_at: new Date(at).toISOString() });
      setForm(emptySchedule());
      setVersion(version + 1);
      return r;
    }, 'One-off event scheduled');
  return (
    <div data-testid="one-off-page">
      <PageHeader title="One-off scheduled events" />
      <div className="panel">
        <h3>Schedule an event</h3>
        <Field label="Time (your local time)">
          <input type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} data-testid="oneoff-time" />
        </Field>
        <ScheduleFields form={form} set={setForm} prefix="oneoff" />
        <Button variant="primary" disabled={!form.webhook.trim()} onClick={create} testid="oneoff-create">
          Create scheduled event
        </Button>
      </div>
      <div className="tabs">
        {(['pending', 'processed'] as const).map((t) => (
          <a key={t} href="#" className={tab === t ? 'tab active' : 'tab'} onClick={(e) => { e.preventDefault(); setTab(t); }} data-testid={`oneoff-tab-${t}`}>
            {t === 'pending' ? 'Pending' : 'Processed'}
          </a>
        ))}
      </div>
      <ScheduledEvents key={`${tab}.${version}`} type="one_off" status={tab} />
    </div>
  );
}
