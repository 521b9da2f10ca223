// Remote schema permissions: per role, the SDL of what the role may see (add/drop_remote_schema_permissions).
import { useState } from 'react';
import { metadata } from '../../api';
import { allRoles, refreshMetadata, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable, Field } from '../../ui';
import { introspect, schemaSdl } from './schema';

export default function RemotePermissions({ remote }: { remote: any }) {
  const { md } = useMetadata();
  const perms: { role: string; definition: { schema: string } }[] = remote.permissions ?? [];
  const roles = [...new Set([...allRoles(md), ...perms.map((p) => p.role)])].sort();
  const [role, setRole] = useState('');
  const [sdl, setSdl] = useState('');
  const existing = perms.find((p) => p.role === role);

  const open = async (r: string) => {
    setRole(r);
    const p = perms.find((x) => x.role === r);
    if (p) return setSdl(p.definition?.schema ?? '');
    setSdl('');
    await act(async () => setSdl(schemaSdl(await introspect(remote.name))));
  };

  const save = () =>
    act(async () => {
      const add = { type: 'add_remote_schema_permissions', args: { remote_schema: remote.name, role: role.trim(), definition: { schema: sdl } } };
      if (existing) await metadata('bulk', [{ type: 'drop_remote_schema_permissions', args: { remote_schema: remote.name, role: role.trim() } }, add]);
      else await metadata(add.type, add.args);
      await refreshMetadata();
    }, `Permission of role "${role.trim()}" saved`);

  const remove = async () => {
    if (!window.confirm(`Remove the permission of role "${role}"?`)) return;
    await act(async () => {
      await metadata('drop_remote_schema_permissions', { remote_schema: remote.name, role });
      await refreshMetadata();
      setRole('');
    }, `Permission of role "${role}" removed`);
  };

  return (
    <div data-testid="remote-permissions">
      <p className="muted">
        The part of the remote schema each role may use, as SDL (presets with <code>@preset</code>). Remote schema permissions
        apply when the engine runs with <code>HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS=true</code>.
      </p>
      <DataTable
        testid="remote-permissions-table"
        columns={['Role', 'Permission', '']}
        rows={roles.map((r) => [
          r,
          perms.some((p) => p.role === r) ? '✔' : '✖',
          <Button variant="link" onClick={() => open(r)} testid={`remote-perm-edit-${r}`}>
            Edit
          </Button>,
        ])}
      />
      <div className="row">
        <input placeholder="new role" onKeyDown={(e) => e.key === 'Enter' && open((e.target as HTMLInputElement).value.trim())} data-testid="remote-perm-new-role" id="remote-perm-new-role" />
        <Button
          variant="link"
          onClick={() => open((document.getElementById('remote-perm-new-role') as HTMLInputElement).value.trim())}
          testid="remote-perm-new"
        >
          Edit new role
        </Button>
      </div>
      {role && (
        <div className="panel" data-testid="remote-perm-editor">
          <h3>Role: {role}</h3>
          <Field label="Schema the role may use (SDL)">
            <textarea className="code sdl-editor" rows={16} value={sdl} spellCheck={false} onChange={(e) => setSdl(e.target.value)} data-testid="remote-perm-sdl" />
          </Field>
          <div className="row">
            <Button variant="primary" disabled={!sdl.trim()} onClick={save} testid="remote-perm-save">
              Save Permissions
            </Button>
            {existing && (
              <Button variant="danger" onClick={remove} testid="remote-perm-delete">
                Remove Permissions
              </Button>
            )}
            <Button variant="link" onClick={() => setRole('')}>
              Close
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}
