// Event trigger logs: pending / processed events and invocations read with run_sql from hdb_catalog; redeliver, invoke.
import { Fragment, ReactNode, useState } from 'react';
import { metadata, sqlLit, sqlRows } from '../../api';
import { useAsync } from '../../hooks';
import { EventTrigger, QualifiedTable } from '../../metadata';
import { act } from '../../notify';
import { Button, ErrorBox, JsonInput, JsonView, Loading, parseJson } from '../../ui';

type Row = Record<string, string | null>;
const yes = (v: string | null) => v === 't' || v === 'true';
const PAGE = 20;

const EVENT_COLS = 'id, schema_name, table_name, trigger_name, payload, delivered, error, tries, created_at, locked, next_retry_at, archived';
const INVOCATION_COLS = 'i.id, i.event_id, i.status, i.request, i.response, i.created_at';

function pretty(text: string | null): string {
  if (text === null) return '';
  const [v, err] = parseJson(text);
  return err ? text : JSON.stringify(v, null, 2);
}

/** The expanded details of a table row (a row of one cell across the table). */
function DetailRow({ show, span, children }: { show: boolean; span: number; children: ReactNode }) {
  if (!show) return null;
  return (
    <tr>
      <td colSpan={span}>{children}</td>
    </tr>
  );
}

/** Invocations of one event (or all of a trigger) as a table with expandable request / response. */
export function Invocations({ source, trigger, eventId }: { source: string; trigger: string; eventId?: string }) {
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const rows = useAsync(
    () =>
      sqlRows(
        `SELECT ${INVOCATION_COLS} FROM hdb_catalog.event_invocation_logs i JOIN hdb_catalog.event_log e ON e.id = i.event_id ` +
          `WHERE e.trigger_name = ${sqlLit(trigger)}${eventId ? ` AND i.event_id = ${sqlLit(eventId)}` : ''} ` +
          `ORDER BY i.created_at DESC LIMIT ${PAGE} OFFSET ${offset}`,
        source,
      ),
    [source, trigger, eventId, offset],
  );
  if (rows.error) return <ErrorBox error={rows.error} />;
  if (!rows.data) return <Loading />;
  return (
    <LogTable name="invocations" refreshTestid="invocations-refresh" rows={rows.data} reload={rows.reload} empty="No invocations." head={['Id', 'Event', 'Status', 'Created', '']} page={[offset, setOffset]}>
      {rows.data.map((r) => (
        <Fragment key={r.id}>
          <tr>
            <td><code>{r.id}</code></td>
            <td><code>{r.event_id}</code></td>
            <td className={Number(r.status) >= 200 && Number(r.status) < 300 ? 'ok' : 'warn'} data-testid="invocation-status">{r.status ?? '—'}</td>
            <td>{r.created_at}</td>
            <td><Button variant="link" onClick={() => setOpen(open === r.id ? null : r.id)}>{open === r.id ? 'hide' : 'details'}</Button></td>
          </tr>
          <DetailRow show={open === r.id} span={5}>
            <div className="grid-2">
              <div><h4>Request</h4><pre className="code">{pretty(r.request)}</pre></div>
              <div><h4>Response</h4><pre className="code">{pretty(r.response)}</pre></div>
            </div>
          </DetailRow>
        </Fragment>
      ))}
    </LogTable>
  );
}

/**
 * A page of log rows: a refresh button, the table (or `empty`), and newer / older buttons.
 * Test hooks: `<name>` on the block, `<name>-table`, `<name>-empty`.
 */
function LogTable(p: {
  name: string;
  refreshTestid: string;
  rows: Row[];
  reload: () => void;
  empty: string;
  head: string[];
  page: [number, (n: number) => void];
  children: ReactNode;
}) {
  const [offset, setOffset] = p.page;
  return (
    <div data-testid={p.name}>
      <div className="row">
        <Button onClick={p.reload} testid={p.refreshTestid}>Refresh</Button>
      </div>
      {p.rows.length === 0 ? (
        <p className="muted" data-testid={`${p.name}-empty`}>{p.empty}</p>
      ) : (
        <table className="data" data-testid={`${p.name}-table`}>
          <thead>
            <tr>{p.head.map((h, i) => <th key={i}>{h}</th>)}</tr>
          </thead>
          <tbody>{p.children}</tbody>
        </table>
      )}
      <div className="row pager">
        <Button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>‹ Newer</Button>
        <Button disabled={p.rows.length < PAGE} onClick={() => setOffset(offset + PAGE)}>Older ›</Button>
      </div>
    </div>
  );
}

/** Pending or processed events of a trigger. */
export function EventList({ source, trigger, status }: { source: string; trigger: string; status: 'pending' | 'processed' }) {
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const filter = status === 'pending' ? 'NOT delivered AND NOT error AND NOT archived' : '(delivered OR error) AND NOT archived';
  const rows = useAsync(
    () =>
      sqlRows(
        `SELECT ${EVENT_COLS} FROM hdb_catalog.event_log WHERE trigger_name = ${sqlLit(trigger)} AND ${filter} ` +
          `ORDER BY created_at DESC LIMIT ${PAGE} OFFSET ${offset}`,
        source,
      ),
    [source, trigger, status, offset],
  );
  const redeliver = async (id: string) => {
    await act(() => metadata('pg_redeliver_event', { event_id: id, source }), `Event ${id} queued for redelivery`);
    await rows.reload();
  };
  if (rows.error) return <ErrorBox error={rows.error} />;
  if (!rows.data) return <Loading />;
  const state = (r: Row) => (yes(r.delivered) ? 'delivered' : yes(r.error) ? 'error' : yes(r.locked) ? 'locked' : 'pending');
  return (
    <LogTable name={`${status}-events`} refreshTestid="events-refresh" rows={rows.data} reload={rows.reload} empty={`No ${status} events.`} head={['Id', 'Status', 'Tries', 'Created', 'Next retry', '']} page={[offset, setOffset]}>
      {rows.data.map((r) => (
        <Fragment key={r.id}>
          <tr data-testid="event-row" data-event-id={r.id ?? ''} data-status={state(r)}>
            <td><code>{r.id}</code></td>
            <td className={state(r) === 'delivered' ? 'ok' : state(r) === 'error' ? 'warn' : ''} data-testid="event-status">{state(r)}</td>
            <td>{r.tries}</td>
            <td>{r.created_at}</td>
            <td>{r.next_retry_at ?? ''}</td>
            <td className="row-actions">
              <Button variant="link" onClick={() => setOpen(open === r.id ? null : r.id)} testid={`event-details-${r.id}`}>
                {open === r.id ? 'hide' : 'details'}
              </Button>
              <Button variant="link" onClick={() => redeliver(r.id ?? '')} testid={`redeliver-${r.id}`}>Redeliver</Button>
            </td>
          </tr>
          <DetailRow show={open === r.id} span={6}>
            <h4>Payload</h4>
            <pre className="code">{pretty(r.payload)}</pre>
            <h4>Invocations</h4>
            <Invocations source={source} trigger={trigger} eventId={r.id ?? ''} />
          </DetailRow>
        </Fragment>
      ))}
    </LogTable>
  );
}

/** Manual invocation with a payload (for triggers with enable_manual). */
export function InvokePanel({ source, trigger }: { source: string; table: QualifiedTable; trigger: EventTrigger }) {
  const [payload, setPayload] = useState('{\n  "id": 1\n}');
  const [last, setLast] = useState<unknown>(null);
  if (!trigger.definition?.enable_manual) return null;
  const invoke = () =>
    act(async () => {
      const [v, err] = parseJson(payload);
      if (err) throw new Error(`payload: invalid JSON (${err})`);
      setLast(await metadata('pg_invoke_event_trigger', { name: trigger.name, source, payload: v }));
    }, 'Event invoked');
  return (
    <div className="panel" data-testid="invoke-trigger">
      <h3>Invoke manually</h3>
      <JsonInput value={payload} onChange={setPayload} rows={4} testid="invoke-payload" />
      <Button variant="primary" onClick={invoke} testid="invoke-submit">Invoke</Button>
      {last !== null && <JsonView value={last} />}
    </div>
  );
}
