// Remote schema editor (add / modify): URL or env var, headers, forward client headers, timeout; add/update/remove/reload.
import { useState } from 'react';
import { metadata } from '../../api';
import { refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { remotePath } from '../../paths';
import { navigate } from '../../router';
import { Button, Check, Field, HeaderList, headersToRows, PageHeader, rowsToHeaders } from '../../ui';

export default function RemoteEditor({ existing }: { existing?: any }) {
  const d = existing?.definition ?? {};
  const [name, setName] = useState<string>(existing?.name ?? '');
  const [fromEnv, setFromEnv] = useState(!!d.url_from_env);
  const [url, setUrl] = useState<string>(d.url_from_env ?? d.url ?? '');
  const [headers, setHeaders] = useState(headersToRows(d.headers));
  const [forward, setForward] = useState<boolean>(!!d.forward_client_headers);
  const [timeout, setTimeoutText] = useState<string>(d.timeout_seconds != null ? String(d.timeout_seconds) : '');
  const [comment, setComment] = useState<string>(existing?.comment ?? '');

  const save = () =>
    act(async () => {
      const definition: Record<string, unknown> = {
        ...(fromEnv ? { url_from_env: url.trim() } : { url: url.trim() }),
        headers: rowsToHeaders(headers),
        forward_client_headers: forward,
      };
      if (timeout.trim()) definition.timeout_seconds = Number(timeout);
      for (const k of ['customization', 'request_transform', 'response_transform']) if (d[k] !== undefined) definition[k] = d[k];
      await metadata(existing ? 'update_remote_schema' : 'add_remote_schema', {
        name: name.trim(),
        definition,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      await refreshMetadata();
      if (!existing) navigate(remotePath(name.trim(), 'details'));
    }, existing ? `Remote schema "${name}" saved` : `Remote schema "${name.trim()}" added`);

  const reload = () => act(() => metadata('reload_remote_schema', { name: existing.name }), `Remote schema "${existing.name}" reloaded`);

  const remove = async () => {
    if (!window.confirm(`Remove remote schema "${existing.name}"?`)) return;
    await act(async () => {
      await metadata('remove_remote_schema', { name: existing.name });
      await refreshMetadata();
      navigate('/remote-schemas/manage/schemas');
    }, `Remote schema "${existing.name}" removed`);
  };

  return (
    <div data-testid="remote-editor">
      {!existing && <PageHeader title="Add a new remote schema" />}
      <Field label="Remote schema name">
        <input value={name} disabled={!!existing} onChange={(e) => setName(e.target.value)} data-testid="remote-name" id="remote-name" />
      </Field>
      <Field label="GraphQL service URL">
        <div className="row">
          <select value={fromEnv ? 'env' : 'url'} onChange={(e) => setFromEnv(e.target.value === 'env')} data-testid="remote-url-type">
            <option value="url">URL</option>
            <option value="env">from env var</option>
          </select>
          <input
            value={url}
            placeholder={fromEnv ? 'REMOTE_SCHEMA_URL' : 'https://my-graphql-service.com/graphql'}
            onChange={(e) => setUrl(e.target.value)}
            data-testid="remote-url"
            id="remote-url"
          />
        </div>
      </Field>
      <Field label="Headers for the remote GraphQL server">
        <div>
          <Check label="Forward all headers from the client" checked={forward} onChange={setForward} testid="remote-forward-headers" />
          <HeaderList rows={headers} onChange={setHeaders} testid="remote-headers" />
        </div>
      </Field>
      <Field label="GraphQL server timeout (seconds)">
        <input type="number" min={1} value={timeout} placeholder="60" onChange={(e) => setTimeoutText(e.target.value)} data-testid="remote-timeout" />
      </Field>
      <Field label="Comment">
        <input value={comment} onChange={(e) => setComment(e.target.value)} data-testid="remote-comment" />
      </Field>
      <div className="row">
        <Button variant="primary" disabled={!name.trim() || !url.trim()} onClick={save} testid={existing ? 'remote-save' : 'remote-create'} id="remote-save">
          {existing ? 'Save' : 'Add Remote Schema'}
        </Button>
        {existing && (
          <>
            <Button onClick={reload} testid="remote-reload">
              Reload
            </Button>
            <Button variant="danger" onClick={remove} testid="remote-delete">
              Remove
            </Button>
          </>
        )}
      </div>
    </div>
  );
}
