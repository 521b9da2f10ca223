// Remote relationships of a table to a remote schema's field: list, add (pg_create_remote_relationship), drop.
import { useState } from 'react';
import { metadata } from '../../api';
import { useAsync } from '../../hooks';
import { IntroSchema, IntroType, introspect, namedType, typeName } from '../../introspection';
import { confirmedEdit, refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable, ErrorBox, JsonView, Loading } from '../../ui';
import type { TableCtx } from './TablePage';

/** One argument's value: a column of this table (`$column`) or a static JSON value. */
interface Arg {
  mode: '' | 'column' | 'static';
  value: string;
}

/** One field of the remote path, with its arguments. */
interface Step {
  field: string;
  args: Record<string, Arg>;
}

const STATIC = '=static';

/** `a(x: $id).b` for a stored `remote_field`. */
function pathText(field: Record<string, any> | undefined): string {
  const parts: string[] = [];
  while (field && Object.keys(field).length) {
    const [name, v] = Object.entries(field)[0];
    const args = Object.entries(v?.arguments ?? {}).map(([k, a]) => `${k}: ${typeof a === 'string' ? a : JSON.stringify(a)}`);
    parts.push(args.length ? `${name}(${args.join(', ')})` : name);
    field = v?.field;
  }
  return parts.join('.');
}

const staticValue = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** The `remote_field` object for the chosen steps, and the columns its arguments use. */
function buildField(steps: Step[], columns: string[]): { remote_field: Record<string, unknown>; lhs: string[] } {
  const lhs = new Set<string>();
  const used = (v: unknown) => {
    if (typeof v === 'string' && v.startsWith('$') && columns.includes(v.slice(1))) lhs.add(v.slice(1));
    else if (v && typeof v === 'object') Object.values(v).forEach(used);
  };
  let inner: Record<string, unknown> | undefined;
  for (const s of [...steps].reverse()) {
    const args: Record<string, unknown> = {};
    for (const [k, a] of Object.entries(s.args)) {
      if (a.mode === 'column' && a.value) args[k] = `$${a.value}`;
      else if (a.mode === 'static') args[k] = staticValue(a.value);
      else continue;
      used(args[k]);
    }
    inner = { [s.field]: { arguments: args, ...(inner ? { field: inner } : {}) } };
  }
  return { remote_field: inner ?? {}, lhs: [...lhs] };
}

/** The add form: name, remote schema, then a field path picked from the schema's query root. */
function AddRemoteRelationship({ ctx, schemas }: { ctx: TableCtx; schemas: string[] }) {
  const { source, schema, table, info } = ctx;
  const columns = info.columns.map((c) => c.name);
  const [name, setName] = useState('');
  const [remote, setRemote] = useState('');
  const [steps, setSteps] = useState<Step[]>([]);
  const intro = useAsync(async () => (remote ? introspect(remote) : null), [remote]);
  const s: IntroSchema | null | undefined = intro.data;
  const typeOf = (n: string): IntroType | undefined => s?.types.find((t) => t.name === n);
  // The type each step picks its field from: the query root, then each field's type.
  const levels: (IntroType | undefined)[] = [typeOf(s?.queryType?.name ?? 'Query')];
  steps.forEach((st, i) => levels.push(typeOf(namedType(levels[i]?.fields?.find((f) => f.name === st.field)?.type))));
  const { remote_field, lhs } = buildField(steps, columns);
  const definition = { to_remote_schema: { remote_schema: remote, lhs_fields: lhs, remote_field } };

  const pick = (depth: number, field: string) => setSteps([...steps.slice(0, depth), ...(field ? [{ field, args: {} }] : [])]);
  const setArg = (depth: number, arg: string, a: Arg) =>
    setSteps(steps.map((st, i) => (i === depth ? { ...st, args: { ...st.args, [arg]: a } } : st)));

  const save = () =>
    act(async () => {
      await metadata('pg_create_remote_relationship', { source, table: { schema, name: table }, name: name.trim(), definition });
      await refreshMetadata();
      setName('');
      setSteps([]);
    }, `Remote relationship "${name.trim()}" created`);

  return (
    <div className="panel" data-testid="remote-rel-form">
      <div className="row wrap">
        <input placeholder="relationship name" value={name} onChange={(e) => setName(e.target.value)} data-testid="remote-rel-name" />
        <select value={remote} onChange={(e) => { setRemote(e.target.value); setSteps([]); }} data-testid="remote-rel-schema">
          <option value="">-- remote schema --</option>
          {schemas.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </div>
      {intro.error ? <ErrorBox error={intro.error} /> : remote && !s ? <Loading what="Introspecting" /> : null}
      {s &&
        levels.map((type, depth) => {
          const fields = type?.fields ?? [];
          if (!fields.length || depth > steps.length) return null;
          const st = steps[depth];
          const field = fields.find((f) => f.name === st?.field);
          return (
            <div key={depth} className="remote-rel-step" style={{ marginLeft: depth * 20 }}>
              <div className="row">
                <span className="muted">{depth === 0 ? 'field' : 'then'}</span>
                <select value={st?.field ?? ''} onChange={(e) => pick(depth, e.target.value)} data-testid={`remote-rel-field-${depth}`}>
                  <option value="">{depth === 0 ? '-- field --' : '-- (stop here) --'}</option>
                  {fields.map((f) => (
                    <option key={f.name} value={f.name}>
                      {f.name}: {typeName(f.type)}
                    </option>
                  ))}
                </select>
              </div>
              {field?.args.map((a) => {
                const v = st.args[a.name] ?? { mode: '', value: '' };
                return (
                  <div className="row" key={a.name} style={{ marginLeft: 20 }}>
                    <code>
                      {a.name}: {typeName(a.type)}
                    </code>
                    <select
                      value={v.mode === 'static' ? STATIC : v.mode === 'column' ? v.value : ''}
                      onChange={(e) =>
                        setArg(depth, a.name, e.target.value === STATIC ? { mode: 'static', value: '' } : { mode: e.target.value ? 'column' : '', value: e.target.value })
                      }
                      data-testid={`remote-rel-arg-${depth}-${a.name}`}
                    >
                      <option value="">-- not set --</option>
                      {columns.map((c) => (
                        <option key={c} value={c}>
                          ${c} (column)
                        </option>
                      ))}
                      <option value={STATIC}>static value…</option>
                    </select>
                    {v.mode === 'static' && (
                      <input
                        placeholder='JSON, e.g. "en" or 10'
                        value={v.value}
                        onChange={(e) => setArg(depth, a.name, { mode: 'static', value: e.target.value })}
                        data-testid={`remote-rel-arg-static-${depth}-${a.name}`}
                      />
                    )}
                  </div>
                );
              })}
            </div>
          );
        })}
      {steps.length > 0 && <JsonView value={definition} testid="remote-rel-definition" />}
      <Button variant="primary" disabled={!name.trim() || !remote || !steps.length} onClick={save} testid="remote-rel-save">
        Save remote relationship
      </Button>
    </div>
  );
}

export default function RemoteRelationships({ ctx }: { ctx: TableCtx }) {
  const { md } = useMetadata();
  const { source, schema, table, entry } = ctx;
  const list = entry?.remote_relationships ?? [];
  const drop = (name: string) =>
    confirmedEdit(
      `Drop remote relationship "${name}"?`,
      'pg_delete_remote_relationship',
      { source, table: { schema, name: table }, name },
      `Remote relationship "${name}" dropped`,
    );
  const target = (d: any) => d?.to_remote_schema ?? d ?? {};
  return (
    <div data-testid="remote-relationships-section">
      <h2>Remote schema relationships</h2>
      <DataTable
        testid="remote-relationships"
        empty="No remote relationships yet."
        columns={['Name', 'Remote schema', 'Columns', 'Remote field', '']}
        rows={list.map((r) => {
          const t = target(r.definition);
          return [
            <b>{r.name}</b>,
            t.remote_schema ?? <code>{JSON.stringify(r.definition)}</code>,
            (t.lhs_fields ?? t.hasura_fields ?? []).join(', '),
            <code>{pathText(t.remote_field)}</code>,
            <Button variant="link" onClick={() => drop(r.name)} testid={`drop-remote-relationship-${r.name}`}>
              Remove
            </Button>,
          ];
        })}
      />
      <h3>Add a remote schema relationship</h3>
      {(md?.remote_schemas ?? []).length === 0 ? (
        <p className="muted">Add a remote schema first.</p>
      ) : (
        <AddRemoteRelationship ctx={ctx} schemas={(md?.remote_schemas ?? []).map((r) => r.name)} />
      )}
    </div>
  );
}
