// Relationships from a remote schema's object types to tables: list, add (create_remote_schema_remote_relationship), remove.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { introspect } from '../../introspection';
import { confirmedEdit, qname, refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable, ErrorBox, JsonView, Loading } from '../../ui';
import { tableInfo } from '../data/pg';

interface Rel {
  type_name: string;
  name: string;
  definition: { to_source?: { source: string; table: unknown; relationship_type: string; field_mapping: Record<string, string> } };
}

/** The form: the remote type, a name, object or array, the table, and which field matches which column. */
function AddRelationship({ remote }: { remote: string }) {
  const { md } = useMetadata();
  const sources = md?.sources ?? [];
  const [type, setType] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState('array');
  const [target, setTarget] = useState('');
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const intro = useAsync(async () => introspect(remote), [remote]);
  const [source, schema, table] = target ? (JSON.parse(target) as [string, string, string]) : ['', '', ''];
  const cols = useAsync(async () => (table ? tableInfo(source, schema, table) : null), [target]);
  const objects = (intro.data?.types ?? []).filter(
    (t) => t.kind === 'OBJECT' && !t.name.startsWith('__') && ![intro.data?.queryType?.name, intro.data?.mutationType?.name, intro.data?.subscriptionType?.name].includes(t.name),
  );
  // Fields that can be joined on: the type's fields without arguments.
  const fields = (objects.find((t) => t.name === type)?.fields ?? []).filter((f) => !f.args.length);
  const field_mapping = Object.fromEntries(Object.entries(mapping).filter(([, c]) => c));
  const definition = { to_source: { source, table: { schema, name: table }, relationship_type: kind, field_mapping } };

  const save = () =>
    act(async () => {
      await metadata('create_remote_schema_remote_relationship', { remote_schema: remote, type_name: type, name: name.trim(), definition });
      await refreshMetadata();
      setName('');
      setMapping({});
    }, `Relationship "${name.trim()}" created`);

  if (intro.error) return <ErrorBox error={intro.error} />;
  if (!intro.data) return <Loading what="Introspecting" />;
  return (
    <div className="panel" data-testid="rs-rel-form">
      <div className="row wrap">
        <select value={type} onChange={(e) => { setType(e.target.value); setMapping({}); }} data-testid="rs-rel-type">
          <option value="">-- type of the remote schema --</option>
          {objects.map((t) => (
            <option key={t.name}>{t.name}</option>
          ))}
        </select>
        <input placeholder="relationship name" value={name} onChange={(e) => setName(e.target.value)} data-testid="rs-rel-name" />
        <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="rs-rel-kind">
          <option value="array">array relationship</option>
          <option value="object">object relationship</option>
        </select>
        <select value={target} onChange={(e) => { setTarget(e.target.value); setMapping({}); }} data-testid="rs-rel-table">
          <option value="">-- table --</option>
          {sources.flatMap((s) =>
            (s.tables ?? []).map((t) => {
              const q = qname(t.table);
              return (
                <option key={`${s.name}.${q.schema}.${q.name}`} value={JSON.stringify([s.name, q.schema, q.name])}>
                  {s.name} / {q.schema}.{q.name}
                </option>
              );
            }),
          )}
        </select>
      </div>
      {type && table && (
        <div data-testid="rs-rel-mapping">
          {cols.error ? <ErrorBox error={cols.error} /> : null}
          {fields.map((f) => (
            <div className="row" key={f.name}>
              <code>{f.name}</code>
              <span className="muted">matches column</span>
              <select value={mapping[f.name] ?? ''} onChange={(e) => setMapping({ ...mapping, [f.name]: e.target.value })} data-testid={`rs-rel-map-${f.name}`}>
                <option value="">-- none --</option>
                {(cols.data?.columns ?? []).map((c) => (
                  <option key={c.name}>{c.name}</option>
                ))}
              </select>
            </div>
          ))}
        </div>
      )}
      {Object.keys(field_mapping).length > 0 && <JsonView value={definition} testid="rs-rel-definition" />}
      <Button variant="primary" disabled={!type || !name.trim() || !table || !Object.keys(field_mapping).length} onClick={save} testid="rs-rel-save">
        Save relationship
      </Button>
    </div>
  );
}

export default function RemoteRelationships({ remote }: { remote: any }) {
  const blocks: { type_name: string; relationships?: Omit<Rel, 'type_name'>[] }[] = remote.remote_relationships ?? [];
  const rels: Rel[] = blocks.flatMap((b) => (b.relationships ?? []).map((r) => ({ ...r, type_name: b.type_name })));
  const drop = (r: Rel) =>
    confirmedEdit(
      `Remove relationship "${r.name}" of type ${r.type_name}?`,
      'delete_remote_schema_remote_relationship',
      { remote_schema: remote.name, type_name: r.type_name, name: r.name },
      `Relationship "${r.name}" removed`,
    );
  return (
    <div data-testid="rs-relationships-section">
      <p className="muted">Fields added to the remote schema's types that read rows of a table: the table's rows whose columns equal the object's fields.</p>
      <DataTable
        testid="rs-relationships"
        empty="No relationships yet."
        columns={['Type', 'Name', 'Kind', 'Table', 'Field → column', '']}
        rows={rels.map((r) => {
          const t = r.definition?.to_source;
          const q = t ? qname(t.table as any) : null;
          return [
            r.type_name,
            <b>{r.name}</b>,
            t?.relationship_type ?? <code>{JSON.stringify(r.definition)}</code>,
            q ? `${t?.source} / ${q.schema}.${q.name}` : '',
            Object.entries(t?.field_mapping ?? {})
              .map(([f, c]) => `${f} → ${c}`)
              .join(', '),
            <Button variant="link" onClick={() => drop(r)} testid={`rs-rel-drop-${r.name}`}>
              Remove
            </Button>,
          ];
        })}
      />
      <h3>Add a relationship</h3>
      <AddRelationship remote={remote.name} />
    </div>
  );
}
