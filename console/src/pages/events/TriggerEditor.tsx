// Event trigger editor (add / modify): table, operations and columns, webhook, retry, headers; pg_create_event_trigger.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { confirmedEdit, EventTrigger, QualifiedTable, refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { triggerPath } from '../../paths';
import { navigate } from '../../router';
import { HeaderList, headersToRows, rowsToHeaders, UrlOrEnvField } from '../../forms';
import { Button, Check, Field, PageHeader } from '../../ui';
import { tableInfo } from '../data/pg';

const OPS = ['insert', 'update', 'delete'] as const;
/** Fields of an existing trigger that the form does not edit but a replace must keep. */
const KEPT = ['request_transform', 'response_transform', 'cleanup_config', 'trigger_on_replication', 'comment'];

export default function TriggerEditor({ existing }: { existing?: { source: string; table: QualifiedTable; trigger: EventTrigger } }) {
  const { md } = useMetadata();
  const t = existing?.trigger;
  const def = t?.definition ?? {};
  const [name, setName] = useState(t?.name ?? '');
  const [tableKey, setTableKey] = useState(
    existing ? JSON.stringify([existing.source, existing.table.schema, existing.table.name]) : '',
  );
  const [ops, setOps] = useState<Record<string, boolean>>(() => Object.fromEntries(OPS.map((o) => [o, !!def[o]])));
  const [manual, setManual] = useState<boolean>(!!def.enable_manual);
  const [updateCols, setUpdateCols] = useState<string[] | '*'>(def.update?.columns ?? '*');
  const [fromEnv, setFromEnv] = useState(!!t?.webhook_from_env);
  const [webhook, setWebhook] = useState<string>(t?.webhook_from_env ?? t?.webhook ?? '');
  const [retry, setRetry] = useState({
    num_retries: String(t?.retry_conf?.num_retries ?? 0),
    interval_sec: String(t?.retry_conf?.interval_sec ?? 10),
    timeout_sec: String(t?.retry_conf?.timeout_sec ?? 60),
  });
  const [headers, setHeaders] = useState(headersToRows(t?.headers));

  const tables = (md?.sources ?? []).flatMap((s) => s.tables.map((x) => ({ source: s.name, ...x.table })));
  const picked: [string, string, string] | null = tableKey ? JSON.parse(tableKey) : null;
  const cols = useAsync(async () => (picked ? (await tableInfo(picked[0], picked[1], picked[2])).columns.map((c) => c.name) : []), [tableKey]);

  const save = () =>
    act(async () => {
      if (!picked) throw new Error('choose a table');
      const args: Record<string, unknown> = {
        name: name.trim(),
        source: picked[0],
        table: { schema: picked[1], name: picked[2] },
        enable_manual: manual,
        retry_conf: { num_retries: Number(retry.num_retries), interval_sec: Number(retry.interval_sec), timeout_sec: Number(retry.timeout_sec) },
        headers: rowsToHeaders(headers),
        ...(fromEnv ? { webhook_from_env: webhook.trim() } : { webhook: webhook.trim() }),
      };
      if (ops.insert) args.insert = { columns: '*' };
      if (ops.update) args.update = { columns: updateCols };
      if (ops.delete) args.delete = { columns: '*' };
      for (const k of OPS) if (ops[k] && def[k]?.payload) (args[k] as Record<string, unknown>).payload = def[k].payload;
      if (existing) {
        args.replace = true;
        for (const k of KEPT) if (t?.[k] !== undefined) args[k] = t[k];
      }
      await metadata('pg_create_event_trigger', args);
      await refreshMetadata();
      if (!existing) navigate(triggerPath(name.trim()));
    }, existing ? `Event trigger "${name}" saved` : `Event trigger "${name.trim()}" created`);

  const remove = () =>
    existing &&
    confirmedEdit(
      `Delete event trigger "${existing.trigger.name}"?`,
      'pg_delete_event_trigger',
      { name: existing.trigger.name, source: existing.source },
      `Event trigger "${existing.trigger.name}" deleted`,
      '/events/data/manage',
    );

  const toggleCol = (c: string, on: boolean) => {
    const list = updateCols === '*' ? cols.data ?? [] : updateCols;
    setUpdateCols(on ? [...list.filter((x) => x !== c), c] : list.filter((x) => x !== c));
  };

  return (
    <div data-testid="trigger-editor">
      {!existing && <PageHeader title="Create a new event trigger" />}
      <Field label="Trigger name">
        <input value={name} disabled={!!existing} onChange={(e) => setName(e.target.value)} data-testid="trigger-name" id="trigger-name" />
      </Field>
      <Field label="Table">
        <select value={tableKey} disabled={!!existing} onChange={(e) => setTableKey(e.target.value)} data-testid="trigger-table" id="trigger-table">
          <option value="">-- choose a tracked table --</option>
          {tables.map((x) => {
            const key = JSON.stringify([x.source, x.schema, x.name]);
            return (
              <option key={key} value={key}>
                {tables.some((y) => y.source !== x.source) ? `${x.source}: ` : ''}
                {x.schema}.{x.name}
              </option>
            );
          })}
        </select>
      </Field>
      <Field label="Trigger operations">
        <div className="row wrap">
          {OPS.map((o) => (
            <Check key={o} label={o} checked={ops[o]} onChange={(v) => setOps({ ...ops, [o]: v })} testid={`trigger-op-${o}`} />
          ))}
          <Check label="via console (manual)" checked={manual} onChange={setManual} testid="trigger-op-manual" />
        </div>
      </Field>
      {ops.update && (
        <Field label="Columns whose update fires the trigger">
          <div className="row wrap" data-testid="trigger-update-columns">
            <Check label="all columns" checked={updateCols === '*'} onChange={(v) => setUpdateCols(v ? '*' : [])} testid="trigger-update-all" />
            {updateCols !== '*' &&
              (cols.data ?? []).map((c) => (
                <Check key={c} label={c} checked={updateCols.includes(c)} onChange={(v) => toggleCol(c, v)} testid={`trigger-update-col-${c}`} />
              ))}
          </div>
        </Field>
      )}
      <UrlOrEnvField label="Webhook (HTTP/S) handler" env={[fromEnv, setFromEnv]} url={[webhook, setWebhook]} placeholders={['http://localhost:3000/event', 'WEBHOOK_URL_ENV']} testid="trigger-webhook" />
      <details open={!!existing}>
        <summary>Retry configuration</summary>
        <div className="row wrap">
          {(['num_retries', 'interval_sec', 'timeout_sec'] as const).map((k) => (
            <Field key={k} label={k}>
              <input type="number" min={0} value={retry[k]} onChange={(e) => setRetry({ ...retry, [k]: e.target.value })} data-testid={`trigger-${k}`} />
            </Field>
          ))}
        </div>
      </details>
      <details open={headers.length > 0}>
        <summary>Headers</summary>
        <HeaderList rows={headers} onChange={setHeaders} testid="trigger-headers" />
      </details>
      <div className="row">
        <Button
          variant="primary"
          disabled={!name.trim() || !picked || !webhook.trim()}
          onClick={save}
          testid={existing ? 'trigger-save' : 'trigger-create'}
          id="trigger-save"
        >
          {existing ? 'Save' : 'Create Event Trigger'}
        </Button>
        {existing && (
          <Button variant="danger" onClick={remove} testid="trigger-delete">
            Delete
          </Button>
        )}
      </div>
    </div>
  );
}
