// Action editor (add / modify): action SDL and types SDL, handler, kind, headers; saved with set_custom_types + create/update_action.
import { useState } from 'react';
import { metadata } from '../../api';
import { confirmedEdit, refreshMetadata, useMetadata } from '../../metadata';
import { act, notify } from '../../notify';
import { actionPath } from '../../paths';
import { navigate } from '../../router';
import { headersToRows, HeadersField, rowsToHeaders, TextField } from '../../forms';
import { Button, Field, PageHeader } from '../../ui';
import { actionSdl, actionTypesSdl, DEFAULT_ACTION_SDL, DEFAULT_TYPES_SDL, mergeTypes, parseActionSdl, parseTypesSdl } from './sdl';

export default function ActionEditor({ action }: { action?: any }) {
  const { md } = useMetadata();
  const d = action?.definition ?? {};
  const [sdl, setSdl] = useState(action ? actionSdl(action) : DEFAULT_ACTION_SDL);
  const [typesSdl, setTypesSdl] = useState(action ? actionTypesSdl(action, md?.custom_types) : DEFAULT_TYPES_SDL);
  const [handler, setHandler] = useState<string>(d.handler ?? '');
  const [kind, setKind] = useState<string>(d.kind ?? 'synchronous');
  const [forward, setForward] = useState<boolean>(!!d.forward_client_headers);
  const [headers, setHeaders] = useState(headersToRows(d.headers));
  const [timeout, setTimeoutText] = useState(d.timeout != null ? String(d.timeout) : '');
  const [comment, setComment] = useState<string>(action?.comment ?? '');

  let parsed: ReturnType<typeof parseActionSdl> | null = null;
  let parseError = '';
  try {
    parsed = parseActionSdl(sdl);
    parseTypesSdl(typesSdl);
  } catch (e) {
    parseError = (e as Error).message;
  }

  const save = () =>
    act(async () => {
      const field = parseActionSdl(sdl);
      const current = md ?? (await refreshMetadata());
      if (!current) throw new Error('the metadata could not be read; try again');
      const types = mergeTypes(current.custom_types, parseTypesSdl(typesSdl));
      const definition: Record<string, unknown> = {
        type: field.type,
        handler: handler.trim(),
        arguments: field.arguments,
        output_type: field.output_type,
        forward_client_headers: forward,
        headers: rowsToHeaders(headers),
      };
      if (field.type === 'mutation') definition.kind = kind;
      if (timeout.trim()) definition.timeout = Number(timeout);
      const desc = comment.trim() || field.description;
      const args = { name: field.name, definition, ...(desc ? { comment: desc } : {}) };
      const steps: { type: string; args: unknown }[] = [];
      if (action && action.name !== field.name) {
        steps.push({ type: 'drop_action', args: { name: action.name, clear_data: false } });
        steps.push({ type: 'set_custom_types', args: types });
        steps.push({ type: 'create_action', args });
        for (const p of action.permissions ?? []) steps.push({ type: 'create_action_permission', args: { action: field.name, role: p.role } });
      } else {
        steps.push({ type: 'set_custom_types', args: types });
        steps.push({ type: action ? 'update_action' : 'create_action', args });
      }
      await metadata('bulk', steps);
      await refreshMetadata();
      notify.success(action ? `Action "${field.name}" saved` : `Action "${field.name}" created`);
      if (!action || action.name !== field.name) navigate(actionPath(field.name));
    });

  const remove = () =>
    confirmedEdit(`Delete action "${action.name}"?`, 'drop_action', { name: action.name }, `Action "${action.name}" deleted`, '/actions/manage/actions');

  return (
    <div data-testid="action-editor">
      {!action && <PageHeader title="Add a new action" />}
      <div className="cols-2">
        <Field label="Action definition" hint="One field of type Mutation or type Query.">
          <textarea className="code sdl-editor" rows={10} value={sdl} spellCheck={false} onChange={(e) => setSdl(e.target.value)} data-testid="action-sdl" id="action-sdl" />
        </Field>
        <Field label="Type configuration" hint="Input, object, enum and scalar types the action uses (new or changed ones).">
          <textarea className="code sdl-editor" rows={10} value={typesSdl} spellCheck={false} onChange={(e) => setTypesSdl(e.target.value)} data-testid="action-types-sdl" id="action-types-sdl" />
        </Field>
      </div>
      {parseError && <div className="field-error" data-testid="action-sdl-error">{parseError}</div>}
      <Field label="Webhook (HTTP) handler" hint="A URL, or {{ENV_VAR}} templates like {{ACTION_BASE_URL}}/login.">
        <input value={handler} placeholder="http://localhost:3000/login" onChange={(e) => setHandler(e.target.value)} data-testid="action-handler" id="action-handler" />
      </Field>
      {parsed?.type !== 'query' && (
        <Field label="Kind">
          <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="action-kind">
            <option value="synchronous">synchronous</option>
            <option value="asynchronous">asynchronous</option>
          </select>
        </Field>
      )}
      <HeadersField label="Headers" forwardLabel="Forward client headers to the webhook" forward={[forward, setForward]} rows={[headers, setHeaders]} testid="action" />
      <TextField label="Timeout (seconds)" type="number" placeholder="30" bound={[timeout, setTimeoutText]} testid="action-timeout" />
      <TextField label="Comment" bound={[comment, setComment]} testid="action-comment" />
      <div className="row">
        <Button variant="primary" disabled={!!parseError || !handler.trim()} onClick={save} testid={action ? 'action-save' : 'action-create'} id="action-save">
          {action ? 'Save Action' : 'Create Action'}
        </Button>
        {action && (
          <Button variant="danger" onClick={remove} testid="action-delete">
            Delete
          </Button>
        )}
      </div>
    </div>
  );
}
