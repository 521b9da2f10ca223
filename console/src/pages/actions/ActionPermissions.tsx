// Action permissions tab: which roles may call the action (create_action_permission / drop_action_permission).
import { useState } from 'react';
import { metadata } from '../../api';
import { allRoles, refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable } from '../../ui';

export default function ActionPermissions({ action }: { action: any }) {
  const { md } = useMetadata();
  const [newRole, setNewRole] = useState('');
  const allowed = new Set<string>((action.permissions ?? []).map((p: { role: string }) => p.role));
  const roles = [...new Set([...allRoles(md), ...allowed])].sort();

  const set = (role: string, allow: boolean) =>
    act(async () => {
      await metadata(allow ? 'create_action_permission' : 'drop_action_permission', { action: action.name, role });
      await refreshMetadata();
      return true;
    }, allow ? `Role "${role}" may call "${action.name}"` : `Role "${role}" may no longer call "${action.name}"`);

  return (
    <div data-testid="action-permissions">
      <p className="muted">Roles allowed to call this action (admin always may).</p>
      <DataTable
        testid="action-permissions-table"
        columns={['Role', 'Allowed', '']}
        rows={[
          ['admin', '✔', ''],
          ...roles.map((r) => [
            r,
            allowed.has(r) ? '✔' : '✖',
            <Button variant={allowed.has(r) ? 'default' : 'primary'} onClick={() => set(r, !allowed.has(r))} testid={`action-perm-toggle-${r}`}>
              {allowed.has(r) ? 'Remove' : 'Allow'}
            </Button>,
          ]),
        ]}
      />
      <div className="row">
        <input placeholder="new role" value={newRole} onChange={(e) => setNewRole(e.target.value)} data-testid="action-perm-new-role" />
        <Button
          variant="primary"
          disabled={!newRole.trim()}
          testid="action-perm-add"
          onClick={async () => {
            if (await set(newRole.trim(), true)) setNewRole('');
          }}
        >
          Allow role
        </Button>
      </div>
    </div>
  );
}
