// Permissions tab: the role × (insert, select, update, delete) matrix; a cell opens the permission editor.
import { useState } from 'react';
import { allRoles, Permission, PERM_KINDS, PermKind, TableEntry, useMetadata } from '../../metadata';
import PermEditor from './PermEditor';
import type { TableCtx } from './TablePage';

export type Access = 'full' | 'partial' | 'none';

const isEmptyExp = (v: unknown) => v === undefined || v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);

/** How much a permission allows: full (no row check, every column), partial, or none. */
export function accessOf(p: Permission | undefined, kind: PermKind, columnCount: number): Access {
  if (!p) return 'none';
  const perm = p.permission ?? {};
  const rowsFree =
    kind === 'insert' ? isEmptyExp(perm.check) : kind === 'update' ? isEmptyExp(perm.filter) && isEmptyExp(perm.check) : isEmptyExp(perm.filter);
  if (kind === 'delete') return rowsFree ? 'full' : 'partial';
  const cols = perm.columns;
  const allCols = cols === '*' || (Array.isArray(cols) && cols.length >= columnCount);
  return rowsFree && allCols ? 'full' : 'partial';
}

export const findPerm = (entry: TableEntry | undefined, kind: PermKind, role: string) =>
  entry?.[`${kind}_permissions`]?.find((p) => p.role === role);

const MARK: Record<Access, string> = { full: '✔', partial: '◐', none: '✖' };
const TITLE: Record<Access, string> = { full: 'full access', partial: 'partial access', none: 'no access' };

export default function Permissions({ ctx }: { ctx: TableCtx }) {
  const { md } = useMetadata();
  const [open, setOpen] = useState<{ role: string; kind: PermKind } | null>(null);
  const [newRole, setNewRole] = useState('');
  const { entry, info } = ctx;
  if (!entry) return <p className="muted">Track the table to set its permissions.</p>;
  const roles = allRoles(md);
  if (open && !roles.includes(open.role) && open.role !== newRole.trim()) roles.push(open.role);

  const cell = (role: string, kind: PermKind, testRole = role) => {
    const access = accessOf(findPerm(entry, kind, role), kind, info.columns.length);
    const active = open?.role === role.trim() && open.kind === kind;
    return (
      <button
        type="button"
        className={`perm-cell perm-${access}${active ? ' active' : ''}`}
        title={`${role}: ${kind} — ${TITLE[access]}`}
        data-testid={`perm-cell-${testRole}-${kind}`}
        data-access={access}
        disabled={!role.trim()}
        onClick={() => setOpen(active ? null : { role: role.trim(), kind })}
      >
        {MARK[access]}
      </button>
    );
  };

  return (
    <div data-testid="permissions">
      <table className="data perm-matrix" data-testid="perm-matrix">
        <thead>
          <tr>
            <th>Role</th>
            {PERM_KINDS.map((k) => (
              <th key={k}>{k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>admin</td>
            {PERM_KINDS.map((k) => (
              <td key={k}>
                <span className="perm-cell perm-full" title="admin has full access">
                  {MARK.full}
                </span>
              </td>
            ))}
          </tr>
          {roles.map((r) => (
            <tr key={r} data-testid={`perm-row-${r}`}>
              <td>{r}</td>
              {PERM_KINDS.map((k) => (
                <td key={k}>{cell(r, k)}</td>
              ))}
            </tr>
          ))}
          <tr>
            <td>
              <input
                placeholder="Enter new role"
                value={newRole}
                onChange={(e) => setNewRole(e.target.value)}
                data-testid="perm-new-role"
                id="new-role-input"
              />
            </td>
            {PERM_KINDS.map((k) => (
              <td key={k}>{cell(newRole, k, 'new')}</td>
            ))}
          </tr>
        </tbody>
      </table>
      <p className="muted small">
        {MARK.full} full access · {MARK.partial} partial access · {MARK.none} no access. Click a cell to edit.
      </p>
      {open && (
        <PermEditor
          key={`${open.role}.${open.kind}`}
          ctx={ctx}
          role={open.role}
          kind={open.kind}
          existing={findPerm(entry, open.kind, open.role)}
          onClose={() => setOpen(null)}
          onSaved={() => setNewRole('')}
        />
      )}
    </div>
  );
}
