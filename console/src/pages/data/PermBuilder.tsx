// Visual builder of a permission's row check, kept in sync both ways with its JSON text.
import { useState } from 'react';
import { useAsync } from '../../hooks';
import { findTable, QualifiedTable, qname, TableEntry, useMetadata } from '../../metadata';
import { Button } from '../../ui';
import { Cond, condKey, Exp, GROUPS, isColumnOp, JSON_OPS, newCond, OPS, textValue, toExp, toJson } from './boolexp';
import { tableInfo, TableInfo } from './pg';

/** What a table offers an expression: its columns (with types) and relationships (with targets). */
interface Shape {
  columns: { name: string; type: string }[];
  rels: { name: string; target: QualifiedTable | null }[];
}

interface Env {
  source: string;
  /** The test-hook prefix, e.g. `perm-builder`. */
  tp: string;
  vars: string[];
  tables: QualifiedTable[];
}

const infoCache = new Map<string, Promise<TableInfo>>();
const cacheKey = (source: string, t: QualifiedTable) => JSON.stringify([source, t.schema, t.name]);

function cachedInfo(source: string, t: QualifiedTable): Promise<TableInfo> {
  const k = cacheKey(source, t);
  if (!infoCache.has(k)) infoCache.set(k, tableInfo(source, t.schema, t.name).catch((e) => (infoCache.delete(k), Promise.reject(e))));
  return infoCache.get(k)!;
}

const sameCols = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The table a relationship leads to. */
function relTarget(using: Record<string, any>, info: TableInfo): QualifiedTable | null {
  const fk = using.foreign_key_constraint_on;
  if (typeof fk === 'string' || Array.isArray(fk)) {
    const c = info.constraints.find((x) => x.kind === 'f' && sameCols(x.columns, [fk].flat()));
    return c?.refTable ? { schema: c.refSchema ?? 'public', name: c.refTable } : null;
  }
  if (fk?.table) return qname(fk.table);
  const m = using.manual_configuration;
  return m?.remote_table ? qname(m.remote_table) : null;
}

function shapeOf(info: TableInfo | undefined, entry: TableEntry | undefined): Shape {
  const rels = [...(entry?.object_relationships ?? []), ...(entry?.array_relationships ?? [])];
  return {
    columns: (info?.columns ?? []).map((c) => ({ name: c.name, type: c.type })),
    rels: rels.map((r) => ({ name: r.name, target: info ? relTarget(r.using, info) : null })),
  };
}

/** The shape of a table (loaded once per page for each table). */
function useShape(source: string, t: QualifiedTable | null): Shape {
  const { md } = useMetadata();
  const info = useAsync(async () => (t ? cachedInfo(source, t) : undefined), [t ? cacheKey(source, t) : '']);
  return shapeOf(info.data, t ? findTable(md, source, t.schema, t.name) : undefined);
}

const sub = (path: string, i: number) => (path === 'root' ? String(i) : `${path}.${i}`);
const tableLabel = (t: QualifiedTable) => (t.schema === 'public' ? t.name : `${t.schema}.${t.name}`);

/** The key select of a row: groups, columns and relationships (and the row's own key if unknown). */
function KeyOptions({ shape, current }: { shape: Shape; current?: string }) {
  const known = [...GROUPS, ...shape.columns.map((c) => c.name), ...shape.rels.map((r) => r.name)];
  return (
    <>
      {current !== undefined && !known.includes(current) && <option value={current}>{current || '-- choose --'}</option>}
      {GROUPS.map((g) => (
        <option key={g} value={g}>
          {g}
        </option>
      ))}
      {shape.columns.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name}
        </option>
      ))}
      {shape.rels.map((r) => (
        <option key={r.name} value={r.name}>
          {r.name} (relationship{r.target ? ` → ${tableLabel(r.target)}` : ''})
        </option>
      ))}
    </>
  );
}

/** The operator, value and session-variable pick of a column condition. */
function ColumnCond({ c, set, path, shape, env }: { c: Extract<Cond, { t: 'col' }>; set: (c: Cond) => void; path: string; shape: Shape; env: Env }) {
  const type = shape.columns.find((x) => x.name === c.column)?.type ?? '';
  const ops = [...OPS, ...(/json/.test(type) ? JSON_OPS : [])];
  const setText = (text: string, op = c.op) => set({ ...c, op, text, value: textValue(op, text, type) });
  const id = (what: string) => `${env.tp}-${what}-${path}`;
  return (
    <>
      <select value={c.op} onChange={(e) => setText(e.target.value === '_is_null' ? 'true' : c.text, e.target.value)} data-testid={id('op')}>
        {!ops.includes(c.op) && <option value={c.op}>{c.op}</option>}
        {ops.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
      {c.op === '_is_null' ? (
        <select value={c.value === false ? 'false' : 'true'} onChange={(e) => setText(e.target.value)} data-testid={id('value')}>
          <option>true</option>
          <option>false</option>
        </select>
      ) : isColumnOp(c.op) && typeof c.value === 'string' ? (
        <select value={c.text} onChange={(e) => setText(e.target.value)} data-testid={id('value')}>
          <option value="">-- column --</option>
          {shape.columns.map((x) => (
            <option key={x.name}>{x.name}</option>
          ))}
        </select>
      ) : (
        <>
          <input className="perm-builder-value" value={c.text} placeholder="value" onChange={(e) => setText(e.target.value)} data-testid={id('value')} />
          <select value="" onChange={(e) => e.target.value && setText(e.target.value)} data-testid={id('session')} title="Use a session variable">
            <option value="">[session var]</option>
            {env.vars.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </>
      )}
    </>
  );
}

/** One condition: its key, then its operator and value, or its nested expression(s). */
function CondRow({ c, set, remove, path, shape, env }: { c: Cond; set: (c: Cond) => void; remove: () => void; path: string; shape: Shape; env: Env }) {
  const id = (what: string) => `${env.tp}-${what}-${path}`;
  const rekey = (key: string) => {
    if (c.t === 'col' && shape.columns.some((x) => x.name === key)) set({ ...c, column: key });
    else set(newCond(key, shape.columns.some((x) => x.name === key) || !shape.rels.some((r) => r.name === key)));
  };
  const target = c.t === 'rel' ? shape.rels.find((r) => r.name === c.name)?.target ?? null : null;
  return (
    <div className="perm-builder-cond" data-testid={id('cond')}>
      <div className="row wrap">
        {c.t === 'raw' ? (
          <code data-testid={id('raw')}>
            {c.key}: {JSON.stringify(c.value)}
          </code>
        ) : (
          <select value={condKey(c)} onChange={(e) => rekey(e.target.value)} data-testid={id('column')}>
            <KeyOptions shape={shape} current={condKey(c)} />
          </select>
        )}
        {c.t === 'col' && <ColumnCond c={c} set={set} path={path} shape={shape} env={env} />}
        {c.t === '_exists' && (
          <select
            value={c.table ? JSON.stringify([c.table.schema, c.table.name]) : ''}
            onChange={(e) => {
              const [schema, name] = e.target.value ? JSON.parse(e.target.value) : [];
              set({ ...c, table: name ? { schema, name } : null });
            }}
            data-testid={id('exists-table')}
          >
            <option value="">-- table --</option>
            {[...env.tables, ...(c.table && !env.tables.some((t) => t.schema === c.table!.schema && t.name === c.table!.name) ? [c.table] : [])].map((t) => (
              <option key={`${t.schema}.${t.name}`} value={JSON.stringify([t.schema, t.name])}>
                {tableLabel(t)}
              </option>
            ))}
          </select>
        )}
        {c.t === 'raw' && <span className="muted small">kept as it is: edit it in the JSON</span>}
        {c.t === 'rel' && target && <span className="muted small">rows of {tableLabel(target)} where:</span>}
        <Button variant="link" onClick={remove} testid={id('remove')} title="Remove this condition">
          ✕
        </Button>
      </div>
      {c.t === 'rel' && <Nested table={target} exp={c.where} set={(where) => set({ ...c, where })} path={path} env={env} />}
      {c.t === '_not' && <ExpBlock exp={c.exp} set={(exp) => set({ ...c, exp })} path={path} shape={shape} env={env} />}
      {c.t === '_exists' && <Nested table={c.table} exp={c.where} set={(where) => set({ ...c, where })} path={path} env={env} />}
      {(c.t === '_and' || c.t === '_or') && (
        <div className="perm-builder-items">
          {c.items.map((item, i) => (
            <div key={i} className="perm-builder-item">
              {i > 0 && <div className="perm-builder-joiner">{c.t === '_and' ? 'and' : 'or'}</div>}
              <ExpBlock
                exp={item}
                set={(exp) => set({ ...c, items: c.items.map((x, j) => (i === j ? exp : x)) })}
                path={sub(path, i)}
                shape={shape}
                env={env}
              />
            </div>
          ))}
          <Button variant="link" onClick={() => set({ ...c, items: [...c.items, []] })} testid={id('add-item')}>
            + add expression
          </Button>
        </div>
      )}
    </div>
  );
}

/** An expression on another table (a relationship's target, an _exists table). */
function Nested({ table, exp, set, path, env }: { table: QualifiedTable | null; exp: Exp; set: (e: Exp) => void; path: string; env: Env }) {
  const shape = useShape(env.source, table);
  return <ExpBlock exp={exp} set={set} path={path} shape={shape} env={env} />;
}

/** An object expression: its conditions (all must hold) and a picker that adds one. */
function ExpBlock({ exp, set, path, shape, env }: { exp: Exp; set: (e: Exp) => void; path: string; shape: Shape; env: Env }) {
  const add = (key: string) => key && set([...exp, newCond(key, shape.columns.some((c) => c.name === key))]);
  return (
    <div className="perm-builder-exp" data-testid={`${env.tp}-exp-${path}`}>
      {exp.map((c, i) => (
        <CondRow
          key={i}
          c={c}
          set={(x) => set(exp.map((y, j) => (i === j ? x : y)))}
          remove={() => set(exp.filter((_, j) => j !== i))}
          path={sub(path, i)}
          shape={shape}
          env={env}
        />
      ))}
      <select value="" onChange={(e) => add(e.target.value)} data-testid={`${env.tp}-add-${path}`}>
        <option value="">{exp.length ? '+ and…' : '+ add a condition…'}</option>
        <KeyOptions shape={shape} />
      </select>
    </div>
  );
}

/**
 * The builder for one expression text. The text stays the source of truth: the builder re-reads
 * it whenever it changes from outside (keeping the last expression while it is not valid), and
 * writes it (pretty JSON) on every edit made here.
 */
export default function PermBuilder({
  text,
  onChange,
  source,
  table,
  rootInfo,
  vars,
  testid,
}: {
  text: string;
  onChange: (t: string) => void;
  source: string;
  table: QualifiedTable;
  rootInfo: TableInfo;
  vars: string[];
  testid: string;
}) {
  const { md } = useMetadata();
  const parse = (t: string): Exp | null => {
    try {
      const v = JSON.parse(t.trim() || '{}');
      return v && typeof v === 'object' && !Array.isArray(v) ? toExp(v) : null;
    } catch {
      return null;
    }
  };
  // The expression last read from or written to the text; re-read (during render) when the text changed elsewhere.
  const [state, setState] = useState(() => ({ text, exp: parse(text) }));
  let exp = state.exp;
  if (text !== state.text) {
    exp = parse(text) ?? state.exp;
    setState({ text, exp });
  }
  infoCache.set(cacheKey(source, table), Promise.resolve(rootInfo));
  const shape = shapeOf(rootInfo, findTable(md, source, table.schema, table.name));
  const tables = (md?.sources.find((s) => s.name === source)?.tables ?? []).map((t) => t.table);
  const allVars = ['X-Hasura-User-Id', ...vars.filter((v) => v.toLowerCase() !== 'x-hasura-user-id')];
  const update = (e: Exp) => {
    const t = JSON.stringify(toJson(e), null, 2);
    setState({ text: t, exp: e });
    onChange(t);
  };
  const valid = parse(text) !== null;
  return (
    <div className="perm-builder" data-testid={testid}>
      {!valid && (
        <p className="warn small" data-testid={`${testid}-invalid`}>
          The JSON below is not an object expression{exp ? ': the builder shows the last one that was' : ''}.
        </p>
      )}
      {exp && <ExpBlock exp={exp} set={update} path="root" shape={shape} env={{ source, tp: testid, vars: allVars, tables }} />}
    </div>
  );
}
