// About page: engine version (/v1/version), server configuration (/v1alpha1/config) and health (/healthz).
import { endpoint, get } from '../../api';
import { useAsync } from '../../hooks';
import { DataTable, ErrorBox, JsonView, Loading, PageHeader } from '../../ui';

export default function About() {
  const version = useAsync(() => get('/v1/version') as Promise<Record<string, unknown>>, []);
  const config = useAsync(() => get('/v1alpha1/config') as Promise<Record<string, unknown>>, []);
  const health = useAsync(async () => String(await get('/healthz')), []);
  return (
    <div data-testid="about">
      <PageHeader title="About" />
      <DataTable
        testid="about-table"
        columns={['', '']}
        rows={[
          ['Endpoint', <code>{endpoint()}</code>],
          ['Server version', <span data-testid="server-version">{String(version.data?.version ?? '')}</span>],
          ...(version.data?.rasura_version ? [['Rasura version', String(version.data.rasura_version)]] : []),
          ['Health', health.error ? 'unhealthy' : health.data ?? '…'],
          ['Console', 'Rasura console'],
        ]}
      />
      {version.error ? <ErrorBox error={version.error} /> : null}
      <h2>Server configuration</h2>
      {config.error ? (
        <p className="muted">The config API is not enabled on this engine ({String((config.error as Error).message)}).</p>
      ) : !config.data ? (
        <Loading />
      ) : (
        <JsonView value={config.data} testid="server-config" />
      )}
    </div>
  );
}
