// Permission boolean expressions as editable conditions: JSON → conditions → JSON, operators, value typing.
import { QualifiedTable, qname } from '../../metadata';
import { typedValue } from './pg';

/** An object expression: its conditions, all of which must hold. */
export type Exp = Cond[];

export type Cond =
  /** `{column: {op: value}}`; `text` is what the value input shows. */
  | { t: 'col'; column: string; op: string; value: unknown; text: string }
  | { t: '_and' | '_or'; items: Exp[] }
  | { t: '_not'; exp: Exp }
  | { t: '_exists'; table: QualifiedTable | null; where: Exp }
  /** A relationship (or any other key whose value is an expression). */
  | { t: 'rel'; name: string; where: Exp }
  /** A shape the builder does not edit, kept as it is. */
  | { t: 'raw'; key: string; value: unknown };

export const GROUPS = ['_and', '_or', '_not', '_exists'] as const;

export const OPS = [
  '_eq', '_neq', '_gt', '_lt', '_gte', '_lte', '_in', '_nin', '_like', '_nlike', '_ilike', '_nilike',
  '_similar', '_nsimilar', '_regex', '_nregex', '_iregex', '_niregex', '_is_null',
  '_ceq', '_cneq', '_cgt', '_clt', '_cgte', '_clte',
];
export const JSON_OPS = ['_contains', '_contained_in', '_has_key', '_has_keys_any', '_has_keys_all'];

const LIST_OPS = ['_in', '_nin', '_has_keys_any', '_has_keys_all'];
const STRUCT_OPS = ['_contains', '_contained_in', '_cast'];
export const isColumnOp = (op: string) => /^_c(eq|neq|ne|gt|lt|gte|lte)$/.test(op);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isSessionVar = (v: unknown) => typeof v === 'string' && /^x-hasura-/i.test(v);

/** How a value reads in its input. */
export function valueText(op: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (LIST_OPS.includes(op) && Array.isArray(v) && v.every((x) => typeof x === 'number' || (typeof x === 'string' && !x.includes(','))))
    return v.join(', ');
  return v === undefined ? '' : JSON.stringify(v);
}

/** The JSON value of an input's text for an operator on a column of `type` ('' when unknown). */
export function textValue(op: string, text: string, type: string): unknown {
  const t = text.trim();
  const json = () => {
    try {
      return JSON.parse(t);
    } catch {
      return text;
    }
  };
  if (op === '_is_null') return t !== 'false';
  if (isSessionVar(t)) return t;
  if (isColumnOp(op)) return t.startsWith('[') ? json() : t;
  if (STRUCT_OPS.includes(op) || op.startsWith('_st_')) return json();
  if (LIST_OPS.includes(op)) {
    if (t.startsWith('[')) return json();
    const items = t.split(',').map((x) => x.trim()).filter(Boolean);
    return op.startsWith('_has_keys') ? items : items.map((x) => (type ? typedValue(type, x) : x));
  }
  if (op === '_has_key') return text;
  return type ? typedValue(type, text) : text;
}

const col = (column: string, op: string, value: unknown): Cond => ({ t: 'col', column, op, value, text: valueText(op, value) });

function parseKey(key: string, v: unknown): Cond[] {
  if (key === '_and' || key === '_or') {
    if (!Array.isArray(v) || !v.every(isObj)) return [{ t: 'raw', key, value: v }];
    return [{ t: key, items: v.map((x) => toExp(x)) }];
  }
  if (key === '_not') return isObj(v) ? [{ t: '_not', exp: toExp(v) }] : [{ t: 'raw', key, value: v }];
  if (key === '_exists') {
    const table = isObj(v) ? v._table : undefined;
    const where = isObj(v) ? v._where : undefined;
    const okTable = typeof table === 'string' || (isObj(table) && typeof table.name === 'string');
    if (!okTable || !isObj(where) || Object.keys(v as object).length !== 2) return [{ t: 'raw', key, value: v }];
    return [{ t: '_exists', table: qname(table as QualifiedTable | string), where: toExp(where) }];
  }
  if (key.startsWith('_')) return [{ t: 'raw', key, value: v }];
  if (isObj(v)) {
    const ks = Object.keys(v);
    // Operators only: a column's comparisons; anything else is a relationship's expression.
    if (ks.length && ks.every((k) => k.startsWith('_') && !(GROUPS as readonly string[]).includes(k)))
      return ks.map((op) => col(key, op, v[op]));
    return [{ t: 'rel', name: key, where: toExp(v) }];
  }
  if (v === null || Array.isArray(v)) return [{ t: 'raw', key, value: v }];
  return [col(key, '_eq', v)];
}

/** The conditions of an object expression. */
export function toExp(v: Record<string, unknown>): Exp {
  return Object.entries(v).flatMap(([k, x]) => parseKey(k, x));
}

/**
 * The JSON of an expression. Unfinished conditions (no column, no table) are left out; a key
 * that would repeat goes into an `_and` with the rest; empty items of `_and` / `_or` are dropped.
 */
export function toJson(exp: Exp): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const extra: Record<string, unknown>[] = [];
  const colKeys = new Set<string>();
  const put = (k: string, v: unknown) => {
    if (k in out) extra.push({ [k]: v });
    else out[k] = v;
  };
  for (const c of exp) {
    switch (c.t) {
      case 'col': {
        if (!c.column || !c.op) break;
        const prev = out[c.column] as Record<string, unknown> | undefined;
        if (colKeys.has(c.column) && prev && !(c.op in prev)) prev[c.op] = c.value;
        else if (!(c.column in out)) {
          out[c.column] = { [c.op]: c.value };
          colKeys.add(c.column);
        } else extra.push({ [c.column]: { [c.op]: c.value } });
        break;
      }
      case '_and':
      case '_or':
        put(c.t, c.items.map(toJson).filter((x) => Object.keys(x).length));
        break;
      case '_not':
        put('_not', toJson(c.exp));
        break;
      case '_exists':
        if (c.table) put('_exists', { _table: c.table, _where: toJson(c.where) });
        break;
      case 'rel':
        if (c.name) put(c.name, toJson(c.where));
        break;
      case 'raw':
        put(c.key, c.value);
    }
  }
  return extra.length ? { _and: [out, ...extra] } : out;
}

/** A new condition for a key picked in the builder. */
export function newCond(key: string, isColumn: boolean): Cond {
  if (key === '_and' || key === '_or') return { t: key, items: [[]] };
  if (key === '_not') return { t: '_not', exp: [] };
  if (key === '_exists') return { t: '_exists', table: null, where: [] };
  return isColumn ? { t: 'col', column: key, op: '_eq', value: '', text: '' } : { t: 'rel', name: key, where: [] };
}

/** The key a condition stands under. */
export const condKey = (c: Cond) => (c.t === 'col' ? c.column : c.t === 'rel' ? c.name : c.t === 'raw' ? c.key : c.t);

/** Every session variable named in a JSON value (strings starting with x-hasura-), deduplicated. */
export function sessionVars(...values: unknown[]): string[] {
  const found = new Map<string, string>();
  const walk = (v: unknown) => {
    if (isSessionVar(v)) found.set((v as string).toLowerCase(), v as string);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) Object.values(v).forEach(walk);
  };
  values.forEach(walk);
  return [...found.values()];
}
