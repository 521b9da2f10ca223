// Metadata actions: export to a file, import (replace_metadata), reload with options, reset (clear_metadata).
import { ChangeEvent, useState } from 'react';
import { metadata } from '../../api';
import { refreshMetadata } from '../../metadata';
import { act, notify } from '../../notify';
import { Button, Check, JsonView, PageHeader } from '../../ui';

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export default function MetadataActions() {
  const [reloadRemotes, setReloadRemotes] = useState(true);
  const [reloadSources, setReloadSources] = useState(true);
  const [reloadResult, setReloadResult] = useState<unknown>(null);

  const exportMd = () =>
    act(async () => {
      const r = await metadata<{ metadata: unknown }>('export_metadata', {}, { version: 2 });
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
      download(`hasura_metadata_${stamp}.json`, JSON.stringify(r.metadata, null, 2));
    }, 'Metadata exported');

  const importMd = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (!window.confirm(`Replace the current metadata with the contents of "${file.name}"?`)) return;
    await act(async () => {
      const json = JSON.parse(await file.text());
      const args = json && typeof json === 'object' && 'metadata' in json && !('version' in json) ? json : { metadata: json };
      await metadata('replace_metadata', args);
      await refreshMetadata();
    }, 'Metadata imported');
  };

  const reload = () =>
    act(async () => {
      const r = await metadata('reload_metadata', { reload_remote_schemas: reloadRemotes, reload_sources: reloadSources });
      setReloadResult(r);
      await refreshMetadata();
      if (r && r.is_consistent === false) notify.info('Metadata reloaded with inconsistencies: see Metadata Status');
    }, 'Metadata reloaded');

  const reset = async () => {
    if (!window.confirm('Reset (clear) all metadata? Tables stay in the database but nothing stays tracked.')) return;
    await act(async () => {
      await metadata('clear_metadata', {});
      await refreshMetadata();
    }, 'Metadata cleared');
  };

  return (
    <div data-testid="metadata-actions">
      <PageHeader title="Metadata Actions" />
      <div className="panel">
        <h3>Export / import</h3>
        <p className="muted">The metadata as one JSON file (the export_metadata format), or replace it from such a file.</p>
        <div className="row">
          <Button variant="primary" onClick={exportMd} testid="metadata-export" id="metadata-export">
            Export metadata
          </Button>
          <label className="btn">
            Import metadata
            <input type="file" accept=".json,application/json" hidden onChange={importMd} data-testid="metadata-import-file" id="metadata-import-file" />
          </label>
        </div>
      </div>
      <div className="panel">
        <h3>Reload metadata</h3>
        <p className="muted">Reads the database catalog and the stored metadata again.</p>
        <div className="row">
          <Check label="Reload all remote schemas" checked={reloadRemotes} onChange={setReloadRemotes} testid="reload-remote-schemas" />
          <Check label="Reload all sources" checked={reloadSources} onChange={setReloadSources} testid="reload-sources" />
          <Button onClick={reload} testid="metadata-reload" id="metadata-reload">
            Reload
          </Button>
        </div>
        {reloadResult !== null && <JsonView value={reloadResult} testid="reload-result" />}
      </div>
      <div className="panel">
        <h3>Reset metadata</h3>
        <p className="muted">Clears all metadata: tables, relationships, permissions, actions, remote schemas, triggers.</p>
        <Button variant="danger" onClick={reset} testid="metadata-reset" id="metadata-reset">
          Reset
        </Button>
      </div>
    </div>
  );
}
