// Shared metadata store: export_metadata cached for all pages, with lookup helpers.
import { useEffect, useSyncExternalStore } from 'react';
import { metadata } from './api';
import { act } from './notify';
import { navigate } from './router';

export interface QualifiedTable {
  schema: string;
  name: string;
}

export interface Permission {
  role: string;
  permission: Record<string, any>;
  comment?: string;
}

export interface TableEntry {
  table: QualifiedTable;
  is_enum?: boolean;
  configuration?: Record<string, any>;
  object_relationships?: Relationship[];
  array_relationships?: Relationship[];
  computed_fields?: { name: string; definition: any; comment?: string }[];
  select_permissions?: Permission[];
  insert_permissions?: Permission[];
  update_permissions?: Permission[];
  delete_permissions?: Permission[];
  event_triggers?: EventTrigger[];
  remote_relationships?: any[];
}

export interface Relationship {
  name: string;
  using: Record<string, any>;
  comment?: string;
}

export interface EventTrigger {
  name: string;
  definition: Record<string, any>;
  retry_conf?: { num_retries?: number; interval_sec?: number; timeout_sec?: number };
  webhook?: string;
  webhook_from_env?: string;
  headers?: HeaderConf[];
  [k: string]: any;
}

export interface HeaderConf {
  name: string;
  value?: string;
  value_from_env?: string;
}

export interface Source {
  name: string;
  kind?: string;
  tables: TableEntry[];
  functions?: { function: QualifiedTable | string; configuration?: any }[];
  configuration?: any;
}

export interface Metadata {
  version: number;
  sources: Source[];
  actions?: any[];
  custom_types?: Record<string, any[]>;
  remote_schemas?: any[];
  cron_triggers?: any[];
  inherited_roles?: any[];
  [k: string]: any;
}

interface State {
  md: Metadata | null;
  resourceVersion: number | null;
  error: unknown;
  loading: boolean;
}

let state: State = { md: null, resourceVersion: null, error: null, loading: false };
let inflight: Promise<Metadata | null> | null = null;
const listeners = new Set<() => void>();

function set(patch: Partial<State>) {
  state = { ...state, ...patch };
  listeners.forEach((l) => l());
}

/** Fetches the metadata again (all subscribers re-render). */
export function refreshMetadata(): Promise<Metadata | null> {
  if (inflight) return inflight;
  set({ loading: true });
  inflight = metadata<{ resource_version: number; metadata: Metadata }>('export_metadata', {}, { version: 2 })
    .then((r) => {
      const md = r.metadata ?? (r as unknown as Metadata);
      md.sources = md.sources ?? [];
      set({ md, resourceVersion: r.resource_version ?? null, error: null, loading: false });
      return md;
    })
    .catch((e) => {
      set({ error: e, loading: false });
      return null;
    })
    .finally(() => {
      inflight = null;
    });
  return inflight;
}

function subscribe(cb: () => void) {
  listeners.add(cb);
  return () => {
    listeners.delete(cb);
  };
}

/** The cached metadata (fetched on first use). */
export function useMetadata(): State & { reload: () => Promise<Metadata | null> } {
  const s = useSyncExternalStore(subscribe, () => state);
  useEffect(() => {
    if (!state.md && !inflight && !state.error) void refreshMetadata();
  }, []);
  return { ...s, reload: refreshMetadata };
}

export function findSource(md: Metadata | null, source: string): Source | undefined {
  return md?.sources.find((s) => s.name === source);
}

export function findTable(md: Metadata | null, source: string, schema: string, name: string): TableEntry | undefined {
  return findSource(md, source)?.tables.find((t) => t.table.schema === schema && t.table.name === name);
}

/** Normalizes a table or function reference (a bare string means the public schema). */
export function qname(t: QualifiedTable | string): QualifiedTable {
  return typeof t === 'string' ? { schema: 'public', name: t } : t;
}

export const PERM_KINDS = ['insert', 'select', 'update', 'delete'] as const;
export type PermKind = (typeof PERM_KINDS)[number];

/** Every role named anywhere in the metadata, sorted. */
export function allRoles(md: Metadata | null): string[] {
  const roles = new Set<string>();
  for (const s of md?.sources ?? []) {
    for (const t of s.tables) {
      for (const k of PERM_KINDS) for (const p of t[`${k}_permissions`] ?? []) roles.add(p.role);
    }
    for (const f of s.functions ?? []) for (const p of f.configuration?.permissions ?? []) roles.add(p.role);
  }
  for (const a of md?.actions ?? []) for (const p of a.permissions ?? []) roles.add(p.role);
  for (const r of md?.remote_schemas ?? []) for (const p of r.permissions ?? []) roles.add(p.role);
  for (const r of md?.inherited_roles ?? []) roles.add(r.role_name);
  roles.delete('admin');
  return [...roles].sort();
}

/** Every event trigger with the table and source it is on. */
export function allEventTriggers(md: Metadata | null) {
  const out: { source: string; table: QualifiedTable; trigger: EventTrigger }[] = [];
  for (const s of md?.sources ?? []) {
    for (const t of s.tables) for (const trigger of t.event_triggers ?? []) out.push({ source: s.name, table: t.table, trigger });
  }
  return out.sort((a, b) => a.trigger.name.localeCompare(b.trigger.name));
}

/**
 * A confirmed metadata edit: asks `question` (window.confirm), runs the operation, reports
 * `ok` or the error, refreshes the metadata, then goes to the `then` path when given.
 */
export async function confirmedEdit(question: string, type: string, args: unknown, ok: string, then?: string): Promise<void> {
  if (!window.confirm(question)) return;
  await act(async () => {
    await metadata(type, args);
    await refreshMetadata();
    if (then) navigate(then);
  }, ok);
}
