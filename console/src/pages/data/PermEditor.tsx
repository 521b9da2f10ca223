// Permission editor for one role and action: row filter / check, columns, presets, select options, backend only, preview.
import { useState } from 'react';
import { metadata } from '../../api';
import { confirmedEdit, Permission, PermKind, refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, Check, Field, parseJson } from '../../ui';
import { sessionVars } from './boolexp';
import { typedValue } from './pg';
import PermPreview from './PermPreview';
import RowCheck from './RowCheck';
import type { TableCtx } from './TablePage';

const QUERY_ROOTS = ['select', 'select_by_pk', 'select_aggregate'];
const SUB_ROOTS = ['select', 'select_by_pk', 'select_aggregate', 'select_stream'];

interface Preset {
  column: string;
  fromSession: boolean;
  value: string;
}

const pretty = (v: unknown) => JSON.stringify(v ?? {}, null, 2);

export default function PermEditor({
  ctx,
  role,
  kind,
  existing,
  onClose,
  onSaved,
}: {
  ctx: TableCtx;
  role: string;
  kind: PermKind;
  existing: Permission | undefined;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { source, schema, table, info, entry } = ctx;
  const p = existing?.permission ?? {};
  const allCols = info.columns.map((c) => c.name);
  const computed = (entry?.computed_fields ?? []).map((c) => c.name);
  const [filter, setFilter] = useState(pretty(p.filter));
  const [check, setCheck] = useState(kind === 'update' && !p.check ? '' : pretty(p.check));
  const [columns, setColumns] = useState<string[]>(existing ? (p.columns === '*' ? allCols : p.columns ?? []) : allCols);
  const [computedFields, setComputedFields] = useState<string[]>(p.computed_fields ?? []);
  const [limit, setLimit] = useState(p.limit != null ? String(p.limit) : '');
  const [aggregations, setAggregations] = useState(!!p.allow_aggregations);
  const [queryRoots, setQueryRoots] = useState<string[]>(p.query_root_fields ?? QUERY_ROOTS);
  const [subRoots, setSubRoots] = useState<string[]>(p.subscription_root_fields ?? SUB_ROOTS);
  const [backendOnly, setBackendOnly] = useState(!!p.backend_only);
  const [presets, setPresets] = useState<Preset[]>(() =>
    Object.entries((p.set ?? {}) as Record<string, unknown>).map(([column, v]) => ({
      column,
      fromSession: typeof v === 'string' && v.toLowerCase().startsWith('x-hasura-'),
      value: typeof v === 'string' ? v : JSON.stringify(v),
    })),
  );
  const [comment, setComment] = useState(existing?.comment ?? '');

  const vars = sessionVars(parseJson(filter)[0], parseJson(check)[0], presets.map((x) => x.value));
  const hasColumns = kind !== 'delete';
  const hasFilter = kind !== 'insert';
  const hasCheck = kind === 'insert' || kind === 'update';
  const hasPresets = kind === 'insert' || kind === 'update';

  const build = (): Record<string, unknown> => {
    const json = (text: string, what: string) => {
      const [v, err] = parseJson(text.trim() || '{}');
      if (err) throw new Error(`${what}: invalid JSON (${err})`);
      return v;
    };
    const perm: Record<string, unknown> = {};
    if (hasColumns) perm.columns = allCols.filter((c) => columns.includes(c));
    if (hasFilter) perm.filter = json(filter, 'Row filter');
    if (kind === 'insert') perm.check = json(check, 'Row check');
    if (kind === 'update' && check.trim()) perm.check = json(check, 'Post-update check');
    if (hasPresets) {
      const set: Record<string, unknown> = {};
      for (const pr of presets.filter((x) => x.column)) {
        const type = info.columns.find((c) => c.name === pr.column)?.type ?? 'text';
        set[pr.column] = pr.fromSession ? pr.value : typedValue(type, pr.value);
      }
      perm.set = set;
    }
    if (kind === 'select') {
      if (computedFields.length) perm.computed_fields = computedFields;
      if (limit.trim()) perm.limit = Number(limit);
      perm.allow_aggregations = aggregations;
      if (queryRoots.length !== QUERY_ROOTS.length) perm.query_root_fields = queryRoots;
      if (subRoots.length !== SUB_ROOTS.length) perm.subscription_root_fields = subRoots;
    }
    if (kind !== 'select' && backendOnly) perm.backend_only = true;
    return perm;
  };

  const args = (permission?: unknown) => ({
    source,
    table: { schema, name: table },
    role,
    ...(permission ? { permission } : {}),
    ...(permission && comment.trim() ? { comment: comment.trim() } : {}),
  });

  const save = () =>
    act(async () => {
      const create = { type: `pg_create_${kind}_permission`, args: args(build()) };
      if (existing) await metadata('bulk', [{ type: `pg_drop_${kind}_permission`, args: args() }, create]);
      else await metadata(create.type, create.args);
      await refreshMetadata();
      onSaved();
    }, `Permission saved (${role}: ${kind})`);

  const remove = () =>
    confirmedEdit(`Delete the ${kind} permission of role "${role}"?`, `pg_drop_${kind}_permission`, args(), `Permission deleted (${role}: ${kind})`);

  const toggle = (list: string[], set: (l: string[]) => void, x: string, on: boolean) =>
    set(on ? [...list.filter((y) => y !== x), x] : list.filter((y) => y !== x));
  const setPreset = (i: number, patch: Partial<Preset>) => setPresets(presets.map((x, j) => (i === j ? { ...x, ...patch } : x)));

  return (
    <div className="panel perm-editor" data-testid="perm-editor" data-role={role} data-kind={kind}>
      <div className="page-header">
        <h3>
          Role: <b>{role}</b> · Action: <b>{kind}</b>
        </h3>
        <Button variant="link" onClick={onClose} testid="perm-close">
          Close
        </Button>
      </div>
      {hasFilter && (
        <RowCheck label={kind === 'update' ? 'Pre-update check (row filter)' : `Row ${kind} permissions (filter)`} text={[filter, setFilter]} testid="perm-filter" builderTestid="perm-builder" ctx={ctx} vars={vars} />
      )}
      {hasCheck && (
        <RowCheck label={kind === 'update' ? 'Post-update check' : 'Row insert permissions (check)'} text={[check, setCheck]} testid="perm-check" builderTestid="perm-check-builder" ctx={ctx} vars={vars} />
      )}
      {hasColumns && (
        <div className="perm-section" data-testid="perm-columns">
          <h4>
            Column {kind} permissions{' '}
            <Button variant="link" testid="perm-columns-all" onClick={() => setColumns(columns.length === allCols.length ? [] : allCols)}>
              Toggle all
            </Button>
          </h4>
          <div className="row wrap">
            {allCols.map((c) => (
              <Check key={c} label={c} checked={columns.includes(c)} onChange={(on) => toggle(columns, setColumns, c, on)} testid={`perm-column-${c}`} />
            ))}
            {kind === 'select' &&
              computed.map((c) => (
                <Check key={c} label={<i>{c}</i>} checked={computedFields.includes(c)} onChange={(on) => toggle(computedFields, setComputedFields, c, on)} testid={`perm-computed-${c}`} />
              ))}
          </div>
        </div>
      )}
      {kind === 'select' && (
        <div className="perm-section">
          <h4>Aggregation and limits</h4>
          <Check label="Allow role to make aggregation queries" checked={aggregations} onChange={setAggregations} testid="perm-aggregations" />
          <Field label="Limit number of rows">
            <input type="number" min={0} value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="perm-limit" />
          </Field>
          <h4>Root fields</h4>
          <div className="row wrap">
            <span className="muted">Query:</span>
            {QUERY_ROOTS.map((r) => (
              <Check key={r} label={r} checked={queryRoots.includes(r)} onChange={(on) => toggle(queryRoots, setQueryRoots, r, on)} testid={`perm-query-root-${r}`} />
            ))}
          </div>
          <div className="row wrap">
            <span className="muted">Subscription:</span>
            {SUB_ROOTS.map((r) => (
              <Check key={r} label={r} checked={subRoots.includes(r)} onChange={(on) => toggle(subRoots, setSubRoots, r, on)} testid={`perm-subscription-root-${r}`} />
            ))}
          </div>
        </div>
      )}
      {hasPresets && (
        <div className="perm-section" data-testid="perm-presets">
          <h4>Column presets</h4>
          {presets.map((pr, i) => (
            <div className="row" key={i}>
              <select value={pr.column} onChange={(e) => setPreset(i, { column: e.target.value })} data-testid={`perm-preset-column-${i}`}>
                <option value="">-- column --</option>
                {allCols.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
              <select value={pr.fromSession ? 'session' : 'static'} onChange={(e) => setPreset(i, { fromSession: e.target.value === 'session' })} data-testid={`perm-preset-type-${i}`}>
                <option value="static">static value</option>
                <option value="session">from session variable</option>
              </select>
              <input
                value={pr.value}
                placeholder={pr.fromSession ? 'X-Hasura-User-Id' : 'value'}
                onChange={(e) => setPreset(i, { value: e.target.value })}
                data-testid={`perm-preset-value-${i}`}
              />
              <Button variant="link" onClick={() => setPresets(presets.filter((_, j) => j !== i))}>
                remove
              </Button>
            </div>
          ))}
          <Button variant="link" testid="perm-preset-add" onClick={() => setPresets([...presets, { column: '', fromSession: false, value: '' }])}>
            + add preset
          </Button>
        </div>
      )}
      {kind !== 'select' && (
        <div className="perm-section">
          <Check label="Backend only (only with x-hasura-use-backend-only-permissions: true and the admin secret)" checked={backendOnly} onChange={setBackendOnly} testid="perm-backend-only" />
        </div>
      )}
      <Field label="Comment">
        <input value={comment} onChange={(e) => setComment(e.target.value)} data-testid="perm-comment" />
      </Field>
      <div className="row">
        <Button variant="primary" onClick={save} testid="perm-save" id="save-permission">
          Save Permissions
        </Button>
        {existing && (
          <Button variant="danger" onClick={remove} testid="perm-delete">
            Delete Permissions
          </Button>
        )}
      </div>
      {kind === 'select' && <PermPreview ctx={ctx} role={role} saved={existing} unsaved={JSON.stringify(parseJson(filter.trim() || '{}')[0]) !== JSON.stringify(p.filter ?? {})} />}
    </div>
  );
}
