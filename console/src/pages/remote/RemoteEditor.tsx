// Remote schema editor (add / modify): URL or env var, headers, forward client headers, timeout; add/update/remove/reload.
import { useState } from 'react';
import { metadata } from '../../api';
import { confirmedEdit, refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { remotePath } from '../../paths';
import { navigate } from '../../router';
import { headersToRows, HeadersField, rowsToHeaders, TextField, UrlOrEnvField } from '../../forms';
import { Button, Field, PageHeader } from '../../ui';

const URL_HINT = 'https://my-graphql-service.com/graphql';

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

  const remove = () =>
    confirmedEdit(`Remove remote schema "${existing.name}"?`, 'remove_remote_schema', { name: existing.name }, `Remote schema "${existing.name}" removed`, '/remote-schemas/manage/schemas');

  return (
    <div data-testid="remote-editor">
      {!existing && <PageHeader title="Add a new remote schema" />}
      <Field label="Remote schema name">
        <input value={name} disabled={!!existing} onChange={(e) => setName(e.target.value)} data-testid="remote-name" id="remote-name" />
      </Field>
      <UrlOrEnvField label="GraphQL service URL" env={[fromEnv, setFromEnv]} url={[url, setUrl]} placeholders={[URL_HINT, 'REMOTE_SCHEMA_URL']} testid="remote-url" />
      <HeadersField label="Headers for the remote GraphQL server" forwardLabel="Forward all headers from the client" forward={[forward, setForward]} rows={[headers, setHeaders]} testid="remote" />
      <TextField label="GraphQL server timeout (seconds)" type="number" placeholder="60" bound={[timeout, setTimeoutText]} testid="remote-timeout" />
      <TextField label="Comment" bound={[comment, setComment]} testid="remote-comment" />
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
