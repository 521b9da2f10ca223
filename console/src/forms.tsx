// Shared form pieces: metadata header lists, "URL or env var" inputs and the headers block of webhook editors.
import { ReactNode } from 'react';
import { HeaderConf } from './metadata';
import { Button, Check, Field } from './ui';

export interface HeaderRow {
  name: string;
  value: string;
  fromEnv: boolean;
}

export const headersToRows = (hs: HeaderConf[] | undefined): HeaderRow[] =>
  (hs ?? []).map((h) => ({ name: h.name, value: h.value_from_env ?? h.value ?? '', fromEnv: h.value_from_env !== undefined }));

export const rowsToHeaders = (rows: HeaderRow[]): HeaderConf[] =>
  rows
    .filter((r) => r.name.trim())
    .map((r) => (r.fromEnv ? { name: r.name.trim(), value_from_env: r.value } : { name: r.name.trim(), value: r.value }));

/** Editor for metadata header lists: name, value or environment variable. */
export function HeaderList({ rows, onChange, testid = 'headers' }: { rows: HeaderRow[]; onChange: (r: HeaderRow[]) => void; testid?: string }) {
  const update = (i: number, patch: Partial<HeaderRow>) => onChange(rows.map((r, j) => (i === j ? { ...r, ...patch } : r)));
  return (
    <div className="header-list" data-testid={testid}>
      {rows.map((r, i) => (
        <div className="row" key={i}>
          <input placeholder="header name" value={r.name} onChange={(e) => update(i, { name: e.target.value })} data-testid={`${testid}-name-${i}`} />
          <select value={r.fromEnv ? 'env' : 'value'} onChange={(e) => update(i, { fromEnv: e.target.value === 'env' })}>
            <option value="value">value</option>
            <option value="env">from env var</option>
          </select>
          <input
            placeholder={r.fromEnv ? 'ENV_VAR_NAME' : 'value'}
            value={r.value}
            onChange={(e) => update(i, { value: e.target.value })}
            data-testid={`${testid}-value-${i}`}
          />
          <Button variant="link" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
            remove
          </Button>
        </div>
      ))}
      <Button variant="link" testid={`${testid}-add`} onClick={() => onChange([...rows, { name: '', value: '', fromEnv: false }])}>
        + add header
      </Button>
    </div>
  );
}

/** A value and its setter, as `useState` gives them. */
export type Bound<T> = [T, (v: T) => void];

/** A labelled text (or number) input bound to a state. */
export function TextField({
  label,
  bound: [value, set],
  testid,
  type = 'text',
  placeholder,
}: {
  label: ReactNode;
  bound: Bound<string>;
  testid: string;
  type?: 'text' | 'number';
  placeholder?: string;
}) {
  return (
    <Field label={label}>
      <input type={type} min={type === 'number' ? 1 : undefined} value={value} placeholder={placeholder} onChange={(e) => set(e.target.value)} data-testid={testid} />
    </Field>
  );
}

/**
 * A URL, or the name of an environment variable that holds it (`url` / `url_from_env`):
 * `<testid>` (and its id) on the input, `<testid>-type` on the select.
 */
export function UrlOrEnvField(p: { label: ReactNode; env: Bound<boolean>; url: Bound<string>; placeholders: [string, string]; testid: string }) {
  const [fromEnv, setFromEnv] = p.env;
  const [value, setValue] = p.url;
  return (
    <Field label={p.label}>
      <div className="row">
        <select value={fromEnv ? 'env' : 'url'} onChange={(e) => setFromEnv(e.target.value === 'env')} data-testid={`${p.testid}-type`}>
          <option value="url">URL</option>
          <option value="env">from env var</option>
        </select>
        <input value={value} placeholder={p.placeholders[fromEnv ? 1 : 0]} onChange={(e) => setValue(e.target.value)} data-testid={p.testid} id={p.testid} />
      </div>
    </Field>
  );
}

/**
 * Headers of a webhook, "forward client headers" and the header list:
 * `<testid>-forward-headers` on the check box, `<testid>-headers-*` on the list.
 */
export function HeadersField(p: { label: ReactNode; forwardLabel: ReactNode; forward: Bound<boolean>; rows: Bound<HeaderRow[]>; testid: string }) {
  return (
    <Field label={p.label}>
      <div>
        <Check label={p.forwardLabel} checked={p.forward[0]} onChange={p.forward[1]} testid={`${p.testid}-forward-headers`} />
        <HeaderList rows={p.rows[0]} onChange={p.rows[1]} testid={`${p.testid}-headers`} />
      </div>
    </Field>
  );
}
