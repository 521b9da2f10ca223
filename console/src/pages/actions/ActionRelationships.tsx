// Action relationships tab: relationships of the action's output object type to tables, saved with set_custom_types.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable } from '../../ui';
import { tableInfo } from '../data/pg';

interface ActionRel {
  name: string;
  type: 'object' | 'array';
  remote_table: { schema: string; name: string } | string;
  source?: string;
  field_mapping: Record<string, string>;
}

const baseName = (t: string) => t.replace(/[[\]!\s]/g, '');
const tableText = (t: ActionRel['remote_table']) => (typeof t === 'string' ? t : t.schema === 'public' ? t.name : `${t.schema}.${t.name}`);

/**
 * Replaces the relationships of one object type, sending every other custom type back as
 * the metadata has it (set_custom_types replaces them all).
 */
async function setRelationships(typeName: string, change: (rels: ActionRel[]) => ActionRel[]) {
  const md = await refreshMetadata();
  if (!md) throw new Error('the metadata could not be read; try again');
  const types = md.custom_types ?? {};
  const objects = (types.objects ?? []).map((o) => {
    if (o.name !== typeName) return o;
    const rels = change(o.relationships ?? []);
    const { relationships: _old, ...rest } = o;
    return rels.length ? { ...rest, relationships: rels } : rest;
  });
  await metadata('set_custom_types', { ...types, objects });
  await refreshMetadata();
}

export default function ActionRelationships({ action }: { action: any }) {
  const { md } = useMetadata();
  const typeName = baseName(action.definition?.output_type ?? '');
  const object = (md?.custom_types?.objects ?? []).find((o) => o.name === typeName);
  const rels: ActionRel[] = object?.relationships ?? [];
  const fields: string[] = (object?.fields ?? []).map((f: { name: string }) => f.name);
  const tables = (md?.sources ?? []).flatMap((s) => s.tables.map((t) => ({ source: s.name, ...t.table })));
  const [name, setName] = useState('');
  const [type, setType] = useState<'object' | 'array'>('object');
  const [tableKey, setTableKey] = useState('');
  const [mapping, setMapping] = useState([{ field: '', column: '' }]);
  const picked: [string, string, string] | null = tableKey ? JSON.parse(tableKey) : null;
  const columns = useAsync(async () => (picked ? (await tableInfo(picked[0], picked[1], picked[2])).columns.map((c) => c.name) : []), [tableKey]);

  if (!object) return <p className="warn">The output type "{typeName}" is not an object type: it cannot have relationships.</p>;

  const add = () =>
    act(async () => {
      if (!picked) throw new Error('choose a table');
      const field_mapping = Object.fromEntries(mapping.filter((m) => m.field && m.column).map((m) => [m.field, m.column]));
      if (!Object.keys(field_mapping).length) throw new Error('map at least one field to a column');
      const rel: ActionRel = {
        name: name.trim(),
        type,
        remote_table: { schema: picked[1], name: picked[2] },
        ...(picked[0] !== 'default' ? { source: picked[0] } : {}),
        field_mapping,
      };
      await setRelationships(typeName, (list) => [...list.filter((r) => r.name !== rel.name), rel]);
      setName('');
      setMapping([{ field: '', column: '' }]);
    }, `Relationship "${name.trim()}" added to ${typeName}`);

  const remove = async (rel: string) => {
    if (!window.confirm(`Remove relationship "${rel}" of ${typeName}?`)) return;
    await act(() => setRelationships(typeName, (list) => list.filter((r) => r.name !== rel)), `Relationship "${rel}" removed`);
  };

  const setMap = (i: number, patch: object) => setMapping(mapping.map((m, j) => (i === j ? { ...m, ...patch } : m)));

  return (
    <div data-testid="action-relationships">
      <p className="muted">
        Relationships of the output type <b>{typeName}</b> to tables: each maps fields of the action's answer to columns.
      </p>
      <DataTable
        testid="action-relationships-table"
        empty="No relationships yet."
        columns={['Name', 'Type', 'Table', 'Mapping', '']}
        rows={rels.map((r) => [
          <b>{r.name}</b>,
          r.type,
          `${r.source && r.source !== 'default' ? r.source + ': ' : ''}${tableText(r.remote_table)}`,
          Object.entries(r.field_mapping ?? {})
            .map(([f, c]) => `${f} → ${c}`)
            .join(', '),
          <Button variant="link" onClick={() => remove(r.name)} testid={`action-rel-remove-${r.name}`}>
            Remove
          </Button>,
        ])}
      />
      <h3>Add a relationship</h3>
      <div className="panel">
        <div className="row wrap">
          <input placeholder="relationship name" value={name} onChange={(e) => setName(e.target.value)} data-testid="action-rel-name" />
          <select value={type} onChange={(e) => setType(e.target.value as 'object' | 'array')} data-testid="action-rel-type">
            <option value="object">object</option>
            <option value="array">array</option>
          </select>
          <select value={tableKey} onChange={(e) => setTableKey(e.target.value)} data-testid="action-rel-table">
            <option value="">-- table --</option>
            {tables.map((t) => {
              const key = JSON.stringify([t.source, t.schema, t.name]);
              return (
                <option key={key} value={key}>
                  {t.source !== 'default' ? `${t.source}: ` : ''}
                  {t.schema}.{t.name}
                </option>
              );
            })}
          </select>
        </div>
        {mapping.map((m, i) => (
          <div className="row" key={i}>
            <select value={m.field} onChange={(e) => setMap(i, { field: e.target.value })} data-testid={`action-rel-field-${i}`}>
              <option value="">-- {typeName} field --</option>
              {fields.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
            <span>→</span>
            <select value={m.column} onChange={(e) => setMap(i, { column: e.target.value })} data-testid={`action-rel-column-${i}`}>
              <option value="">-- column --</option>
              {(columns.data ?? []).map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </div>
        ))}
        <div className="row">
          <Button variant="link" testid="action-rel-mapping-add" onClick={() => setMapping([...mapping, { field: '', column: '' }])}>
            + add field mapping
          </Button>
          <Button variant="primary" disabled={!name.trim() || !picked} onClick={add} testid="action-rel-save">
            Add relationship
          </Button>
        </div>
      </div>
    </div>
  );
}
