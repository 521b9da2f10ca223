// Small shared UI components: buttons, tabs, tables, fields, JSON input and view.
import { ButtonHTMLAttributes, ReactNode, useEffect, useState } from 'react';
import { errorMessage } from './api';
import { Link, navigate, usePath } from './router';

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'onClick'> & {
  onClick?: () => unknown;
  variant?: 'primary' | 'danger' | 'default' | 'link';
  testid?: string;
};

/** A button whose async onClick shows a busy state (and cannot be clicked twice meanwhile). */
export function Button({ onClick, variant = 'default', testid, children, disabled, className, ...rest }: ButtonProps) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    if (!onClick || busy) return;
    setBusy(true);
    try {
      await onClick();
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className={`btn btn-${variant}${busy ? ' busy' : ''}${className ? ' ' + className : ''}`}
      data-testid={testid}
      disabled={disabled || busy}
      aria-busy={busy}
      onClick={click}
      {...rest}
    >
      {children}
    </button>
  );
}

export interface TabItem {
  label: string;
  to: string;
  testid?: string;
}

/** A row of link tabs; the one whose path matches the current path is active. */
export function Tabs({ items }: { items: TabItem[] }) {
  const path = usePath();
  return (
    <nav className="tabs">
      {items.map((t) => (
        <Link key={t.to} to={t.to} className={path === t.to ? 'tab active' : 'tab'} data-testid={t.testid}>
          {t.label}
        </Link>
      ))}
    </nav>
  );
}

/** A plain table of cells. */
export function DataTable({
  columns,
  rows,
  testid,
  empty = 'Nothing here yet.',
  keepHeader = false,
}: {
  columns: ReactNode[];
  rows: ReactNode[][];
  testid?: string;
  empty?: string;
  keepHeader?: boolean;
}) {
  if (!rows.length && !keepHeader) return <p className="muted" data-testid={testid ? testid + '-empty' : undefined}>{empty}</p>;
  return (
    <div className="table-wrap">
      <table className="data" data-testid={testid}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {!rows.length && (
            <tr>
              <td colSpan={columns.length} className="muted" data-testid={testid ? testid + '-empty' : undefined}>
                {empty}
              </td>
            </tr>
          )}
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled form row. */
export function Field({ label, hint, children }: { label: ReactNode; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  );
}

/** A checkbox with its label. */
export function Check({
  label,
  checked,
  onChange,
  testid,
  disabled,
}: {
  label: ReactNode;
  checked: boolean;
  onChange: (v: boolean) => void;
  testid?: string;
  disabled?: boolean;
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        data-testid={testid}
        onChange={(e) => onChange(e.target.checked)}
      />
      <span>{label}</span>
    </label>
  );
}

/** Parses JSON text, returning [value, error]. */
export function parseJson(text: string): [unknown, string | null] {
  try {
    return [JSON.parse(text), null];
  } catch (e) {
    return [undefined, errorMessage(e)];
  }
}

/** A textarea for JSON with live validation. */
export function JsonInput({
  value,
  onChange,
  rows = 6,
  testid,
  placeholder,
}: {
  value: string;
  onChange: (v: string) => void;
  rows?: number;
  testid?: string;
  placeholder?: string;
}) {
  const [, err] = value.trim() ? parseJson(value) : [null, null];
  return (
    <div className="json-input">
      <textarea
        className={err ? 'code invalid' : 'code'}
        rows={rows}
        value={value}
        spellCheck={false}
        placeholder={placeholder}
        data-testid={testid}
        onChange={(e) => onChange(e.target.value)}
      />
      {err && <div className="field-error">Invalid JSON: {err}</div>}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return <p className="muted loading">{what}…</p>;
}

export function ErrorBox({ error }: { error: unknown }) {
  return (
    <div className="error-box" role="alert" data-testid="error-box">
      {errorMessage(error)}
    </div>
  );
}

/** A page heading with optional actions on the right. */
export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      <div className="page-actions">{children}</div>
    </div>
  );
}

/** Pretty JSON in a <pre>. */
export function JsonView({ value, testid }: { value: unknown; testid?: string }) {
  return (
    <pre className="code json-view" data-testid={testid}>
      {typeof value === 'string' ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** Replaces the current history entry with another console path. */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to + window.location.search, true), [to]);
  return null;
}

export function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        <Link to="/api/api-explorer">Go to the API explorer</Link>
      </p>
    </div>
  );
}
