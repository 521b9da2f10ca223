// Function page: a database function's definition, tracked state, track / untrack.
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { findSource, qname, refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, ErrorBox, JsonView, Loading, PageHeader } from '../../ui';
import { functionDefinition } from './pg';

export default function FunctionPage({ source, schema, name }: { source: string; schema: string; name: string }) {
  const { md } = useMetadata();
  const def = useAsync(() => functionDefinition(source, schema, name), [source, schema, name]);
  const tracked = findSource(md, source)?.functions?.find((f) => {
    const q = qname(f.function);
    return q.schema === schema && q.name === name;
  });
  const fn = { schema, name };
  const toggle = () =>
    act(async () => {
      await metadata(tracked ? 'pg_untrack_function' : 'pg_track_function', { source, function: fn });
      await refreshMetadata();
    }, tracked ? `Function "${name}" untracked` : `Function "${name}" tracked`);
  return (
    <div data-testid="function-page">
      <PageHeader title={`Function ${schema}.${name}`}>
        <Button variant={tracked ? 'default' : 'primary'} onClick={toggle} testid="function-track-toggle">
          {tracked ? 'Untrack' : 'Track'}
        </Button>
      </PageHeader>
      <p>{tracked ? 'Tracked: exposed in the GraphQL schema.' : 'Not tracked.'}</p>
      {tracked?.configuration && <JsonView value={tracked.configuration} />}
      <h2>Definition</h2>
      {def.error ? <ErrorBox error={def.error} /> : def.loading ? <Loading /> : <pre className="code">{def.data}</pre>}
    </div>
  );
}
