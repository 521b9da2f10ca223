// Metadata status: inconsistent objects (get_inconsistent_metadata), delete all, reload.
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable, ErrorBox, JsonView, Loading, PageHeader } from '../../ui';

interface Inconsistency {
  type: string;
  name?: string;
  reason: string;
  definition?: unknown;
  message?: unknown;
}

export default function MetadataStatus() {
  const status = useAsync(
    () => metadata<{ is_consistent: boolean; inconsistent_objects: Inconsistency[] }>('get_inconsistent_metadata', {}),
    [],
  );
  const dropAll = async () => {
    if (!window.confirm('Delete all inconsistent objects from the metadata?')) return;
    await act(() => metadata('drop_inconsistent_metadata', {}), 'Inconsistent objects deleted');
    await Promise.all([status.reload(), refreshMetadata()]);
  };
  const reload = async () => {
    await act(() => metadata('reload_metadata', { reload_remote_schemas: true, reload_sources: true }), 'Metadata reloaded');
    await Promise.all([status.reload(), refreshMetadata()]);
  };
  const objects = status.data?.inconsistent_objects ?? [];
  return (
    <div data-testid="metadata-status">
      <PageHeader title="Metadata Status">
        <Button onClick={reload} testid="status-reload">
          Reload metadata
        </Button>
        {objects.length > 0 && (
          <Button variant="danger" onClick={dropAll} testid="status-delete-all">
            Delete all
          </Button>
        )}
      </PageHeader>
      {status.error ? <ErrorBox error={status.error} /> : null}
      {!status.data ? (
        <Loading />
      ) : status.data.is_consistent ? (
        <p className="ok" data-testid="metadata-consistent">
          ✔ GraphQL Engine metadata is consistent with the database.
        </p>
      ) : (
        <>
          <p className="warn" data-testid="metadata-inconsistent">
            The following objects are inconsistent: they are left out of the GraphQL schema.
          </p>
          <DataTable
            testid="inconsistent-objects"
            columns={['Type', 'Name', 'Reason', 'Definition']}
            rows={objects.map((o) => [
              o.type,
              o.name ?? '',
              o.reason,
              <details>
                <summary>show</summary>
                <JsonView value={o.definition ?? o} />
              </details>,
            ])}
          />
        </>
      )}
    </div>
  );
}
