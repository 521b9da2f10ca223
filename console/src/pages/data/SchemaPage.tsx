// Schema page: tables, views and functions of a schema with their tracked state; track, untrack, track all.
import { ApiError, metadata } from '../../api';
import { useAsync } from '../../hooks';
import { findSource, qname, refreshMetadata, useMetadata } from '../../metadata';
import { act, notify } from '../../notify';
import { Link, seg } from '../../router';
import { Button, DataTable, ErrorBox, Loading, PageHeader } from '../../ui';
import { listFunctions, listRelations } from './pg';
import { schemaPath, tablePath } from '../../paths';

export async function trackTable(source: string, schema: string, name: string) {
  await metadata('pg_track_table', { source, table: { schema, name } });
}

export async function untrackTable(source: string, schema: string, name: string): Promise<boolean> {
  try {
    await metadata('pg_untrack_table', { source, table: { schema, name }, cascade: false });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 'dependency-error')) throw e;
    if (!window.confirm(`${e.message}\n\nUntrack with all of these (cascade)?`)) return false;
    await metadata('pg_untrack_table', { source, table: { schema, name }, cascade: true });
  }
  return true;
}

export default function SchemaPage({ source, schema }: { source: string; schema: string }) {
  const { md } = useMetadata();
  const rels = useAsync(() => listRelations(source, schema), [source, schema]);
  const fns = useAsync(() => listFunctions(source, schema), [source, schema]);
  const src = findSource(md, source);
  const trackedTables = new Set((src?.tables ?? []).filter((t) => t.table.schema === schema).map((t) => t.table.name));
  const trackedFns = new Set(
    (src?.functions ?? []).map((f) => qname(f.function)).filter((f) => f.schema === schema).map((f) => f.name),
  );
  const untracked = (rels.data ?? []).filter((r) => !trackedTables.has(r.name));

  const track = (name: string) =>
    act(async () => {
      await trackTable(source, schema, name);
      await refreshMetadata();
    }, `Table "${name}" tracked`);

  const untrack = async (name: string) => {
    if (!window.confirm(`Untrack "${schema}.${name}"? Its permissions and relationships go with it.`)) return;
    await act(async () => {
      if (await untrackTable(source, schema, name)) notify.success(`Table "${name}" untracked`);
      await refreshMetadata();
    });
  };

  const trackAll = async () => {
    let ok = 0;
    const failed: string[] = [];
    for (const r of untracked) {
      try {
        await trackTable(source, schema, r.name);
        ok++;
      } catch (e) {
        failed.push(`${r.name}: ${e instanceof Error ? e.message : e}`);
      }
    }
    await refreshMetadata();
    if (failed.length) notify.error(`Tracked ${ok}; failed: ${failed.join('; ')}`);
    else notify.success(`Tracked ${ok} table(s)/view(s)`);
  };

  const trackFn = (name: string) =>
    act(async () => {
      await metadata('pg_track_function', { source, function: { schema, name } });
      await refreshMetadata();
    }, `Function "${name}" tracked`);

  const untrackFn = (name: string) =>
    act(async () => {
      await metadata('pg_untrack_function', { source, function: { schema, name } });
      await refreshMetadata();
    }, `Function "${name}" untracked`);

  return (
    <div data-testid="schema-page">
      <PageHeader title={`Schema: ${schema}`}>
        <Link to={`${schemaPath(source, schema)}/table/add`} className="btn btn-primary" data-testid="add-table-button">
          Create Table
        </Link>
        <Button onClick={() => Promise.all([rels.reload(), fns.reload(), refreshMetadata()])} testid="schema-refresh">
          Refresh
        </Button>
      </PageHeader>
      {rels.error ? <ErrorBox error={rels.error} /> : null}
      {rels.loading && !rels.data ? <Loading /> : null}

      <h2>
        Untracked tables or views{' '}
        {untracked.length > 0 && (
          <Button variant="primary" onClick={trackAll} testid="track-all">
            Track All
          </Button>
        )}
      </h2>
      <DataTable
        testid="untracked-tables"
        empty="There are no untracked tables or views."
        columns={['Name', 'Kind', '']}
        rows={untracked.map((r) => [
          r.name,
          r.kind,
          <Button variant="primary" onClick={() => track(r.name)} testid={`track-${r.name}`}>
            Track
          </Button>,
        ])}
      />

      <h2>Tracked tables and views</h2>
      <DataTable
        testid="tracked-tables"
        empty="No table of this schema is tracked."
        columns={['Name', 'Kind', '']}
        rows={[...trackedTables].sort().map((name) => [
          <Link to={tablePath(source, schema, name)} data-testid={`table-link-${name}`}>
            {name}
          </Link>,
          rels.data?.find((r) => r.name === name)?.kind ?? <span className="warn">missing in database</span>,
          <Button onClick={() => untrack(name)} testid={`untrack-${name}`}>
            Untrack
          </Button>,
        ])}
      />

      <h2>Functions</h2>
      {fns.error ? <ErrorBox error={fns.error} /> : null}
      <DataTable
        testid="functions"
        empty="There are no functions in this schema."
        columns={['Name', 'Arguments', 'Returns', 'Tracked', '']}
        rows={(fns.data ?? []).map((f) => [
          <Link to={`${schemaPath(source, schema)}/functions/${seg(f.name)}`}>{f.name}</Link>,
          <code>{f.args}</code>,
          <code>{(f.returnsSet ? 'SETOF ' : '') + f.returns}</code>,
          trackedFns.has(f.name) ? 'yes' : 'no',
          trackedFns.has(f.name) ? (
            <Button onClick={() => untrackFn(f.name)} testid={`untrack-function-${f.name}`}>
              Untrack
            </Button>
          ) : (
            <Button variant="primary" onClick={() => trackFn(f.name)} testid={`track-function-${f.name}`}>
              Track
            </Button>
          ),
        ])}
      />
    </div>
  );
}
