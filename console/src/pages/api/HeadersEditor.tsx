// Request headers editor of the API explorer: key/value rows with on/off, "run as role", and JWT decoding.
import { useState } from 'react';
import { Button, Check, JsonView } from '../../ui';
import { bearerToken, decodeJwt } from './jwt';

export interface HeaderRowState {
  enabled: boolean;
  key: string;
  value: string;
}

export interface RoleState {
  enabled: boolean;
  role: string;
  vars: { key: string; value: string }[];
}

/** The headers a role choice adds: x-hasura-role and the x-hasura-* session variables. */
export function roleHeaders(r: RoleState): Record<string, string> {
  if (!r.enabled || !r.role.trim()) return {};
  const out: Record<string, string> = { 'x-hasura-role': r.role.trim() };
  for (const v of r.vars) {
    const k = v.key.trim().toLowerCase();
    if (!k) continue;
    out[k.startsWith('x-hasura-') ? k : `x-hasura-${k}`] = v.value;
  }
  return out;
}

function JwtPanel({ value }: { value: string }) {
  const token = bearerToken(value);
  if (!token) return null;
  let body;
  try {
    const d = decodeJwt(token);
    body = (
      <div className="grid-2">
        <div>
          <h4>Header</h4>
          <JsonView value={d.header} testid="jwt-header" />
        </div>
        <div>
          <h4>Claims</h4>
          <JsonView value={d.claims} testid="jwt-claims" />
        </div>
      </div>
    );
  } catch (e) {
    body = <p className="warn">Not a valid JWT: {(e as Error).message}</p>;
  }
  return (
    <div className="panel jwt" data-testid="jwt-decoded">
      <h4>Decoded JWT (signature not verified)</h4>
      {body}
    </div>
  );
}

export default function HeadersEditor({
  rows,
  onRows,
  role,
  onRole,
}: {
  rows: HeaderRowState[];
  onRows: (r: HeaderRowState[]) => void;
  role: RoleState;
  onRole: (r: RoleState) => void;
}) {
  const [showSecret, setShowSecret] = useState(false);
  const update = (i: number, patch: Partial<HeaderRowState>) => onRows(rows.map((r, j) => (i === j ? { ...r, ...patch } : r)));
  const setVar = (i: number, patch: object) => onRole({ ...role, vars: role.vars.map((v, j) => (i === j ? { ...v, ...patch } : v)) });
  const auth = rows.find((r) => r.enabled && r.key.trim().toLowerCase() === 'authorization');
  return (
    <div className="explorer-headers" data-testid="explorer-headers">
      <div className="explorer-headers-cols">
        <div>
          <h4>Request headers</h4>
          {rows.map((r, i) => {
            const secret = r.key.trim().toLowerCase() === 'x-hasura-admin-secret';
            return (
              <div className="row" key={i} data-testid={`header-row-${i}`}>
                <input type="checkbox" checked={r.enabled} onChange={(e) => update(i, { enabled: e.target.checked })} data-testid={`header-enabled-${i}`} />
                <input placeholder="Key" value={r.key} onChange={(e) => update(i, { key: e.target.value })} data-testid={`header-key-${i}`} />
                <input
                  placeholder="Value"
                  type={secret && !showSecret ? 'password' : 'text'}
                  value={r.value}
                  onChange={(e) => update(i, { value: e.target.value })}
                  data-testid={`header-value-${i}`}
                />
                {secret && (
                  <Button variant="link" onClick={() => setShowSecret(!showSecret)}>
                    {showSecret ? 'hide' : 'show'}
                  </Button>
                )}
                <Button variant="link" onClick={() => onRows(rows.filter((_, j) => j !== i))} testid={`header-remove-${i}`}>
                  ✕
                </Button>
              </div>
            );
          })}
          <Button variant="link" testid="header-add" onClick={() => onRows([...rows, { enabled: true, key: '', value: '' }])}>
            + add header
          </Button>
        </div>
        <div data-testid="run-as-role">
          <h4>
            <Check label="Run as role" checked={role.enabled} onChange={(v) => onRole({ ...role, enabled: v })} testid="role-enabled" />
          </h4>
          <div className="row">
            <input
              placeholder="role, e.g. user"
              value={role.role}
              onChange={(e) => onRole({ ...role, role: e.target.value, enabled: role.enabled || e.target.value.trim() !== '' })}
              data-testid="role-input"
              id="explorer-role"
            />
          </div>
          {role.vars.map((v, i) => (
            <div className="row" key={i}>
              <input placeholder="x-hasura-user-id" value={v.key} onChange={(e) => setVar(i, { key: e.target.value })} data-testid={`session-var-key-${i}`} />
              <input placeholder="value" value={v.value} onChange={(e) => setVar(i, { value: e.target.value })} data-testid={`session-var-value-${i}`} />
              <Button variant="link" onClick={() => onRole({ ...role, vars: role.vars.filter((_, j) => j !== i) })}>
                ✕
              </Button>
            </div>
          ))}
          <Button variant="link" testid="session-var-add" onClick={() => onRole({ ...role, vars: [...role.vars, { key: '', value: '' }] })}>
            + add session variable
          </Button>
          {role.enabled && role.role.trim() && (
            <p className="muted small" data-testid="role-note">
              Requests and the schema docs are those of role <b>{role.role.trim()}</b>.
            </p>
          )}
        </div>
      </div>
      {auth && <JwtPanel value={auth.value} />}
    </div>
  );
}
