// Modify tab, GraphQL part: custom table / root field / column names (pg_set_table_customization) and computed fields.
import { useState } from 'react';
import { metadata } from '../../api';
import { qname, refreshMetadata } from '../../metadata';
import { act } from '../../notify';
import { Button, DataTable, Field } from '../../ui';
import type { TableCtx } from './TablePage';

const ROOT_FIELDS = [
  'select', 'select_by_pk', 'select_aggregate', 'select_stream',
  'insert', 'insert_one', 'update', 'update_by_pk', 'update_many', 'delete', 'delete_by_pk',
];

const rootName = (v: unknown): string =>
  typeof v === 'string' ? v : v && typeof v === 'object' ? String((v as { name?: string }).name ?? '') : '';

export default function Customization({ ctx }: { ctx: TableCtx }) {
  const { source, schema, table, info, entry } = ctx;
  const config = entry?.configuration ?? {};
  const [customName, setCustomName] = useState<string>(config.custom_name ?? '');
  const [roots, setRoots] = useState<Record<string, string>>(() =>
    Object.fromEntries(ROOT_FIELDS.map((k) => [k, rootName(config.custom_root_fields?.[k])])),
  );
  const [colNames, setColNames] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      info.columns.map((c) => [c.name, config.column_config?.[c.name]?.custom_name ?? config.custom_column_names?.[c.name] ?? '']),
    ),
  );
  const [cf, setCf] = useState({ name: '', fn: '', tableArg: '', sessionArg: '', comment: '' });

  const saveNames = () =>
    act(async () => {
      const custom_root_fields: Record<string, unknown> = {};
      for (const k of ROOT_FIELDS) {
        const old = config.custom_root_fields?.[k];
        if (roots[k].trim())
          custom_root_fields[k] = old && typeof old === 'object' ? { ...old, name: roots[k].trim() } : roots[k].trim();
      }
      const column_config: Record<string, Record<string, string>> = {};
      for (const c of info.columns) {
        const entryCfg: Record<string, string> = { ...(config.column_config?.[c.name] ?? {}) };
        delete entryCfg.custom_name;
        if (colNames[c.name]?.trim()) entryCfg.custom_name = colNames[c.name].trim();
        if (Object.keys(entryCfg).length) column_config[c.name] = entryCfg;
      }
      const configuration: Record<string, unknown> = { ...config, custom_root_fields, column_config };
      delete configuration.custom_column_names;
      if (customName.trim()) configuration.custom_name = customName.trim();
      else delete configuration.custom_name;
      await metadata('pg_set_table_customization', { source, table: { schema, name: table }, configuration });
      await refreshMetadata();
    }, 'Customization saved');

  const addComputed = () =>
    act(async () => {
      const [fs, fn] = cf.fn.includes('.') ? cf.fn.split('.', 2) : ['public', cf.fn];
      const definition: Record<string, unknown> = { function: { schema: fs.trim(), name: fn.trim() } };
      if (cf.tableArg.trim()) definition.table_argument = cf.tableArg.trim();
      if (cf.sessionArg.trim()) definition.session_argument = cf.sessionArg.trim();
      await metadata('pg_add_computed_field', {
        source,
        table: { schema, name: table },
        name: cf.name.trim(),
        definition,
        ...(cf.comment.trim() ? { comment: cf.comment.trim() } : {}),
      });
      setCf({ name: '', fn: '', tableArg: '', sessionArg: '', comment: '' });
      await refreshMetadata();
    }, `Computed field "${cf.name.trim()}" added`);

  const dropComputed = async (name: string) => {
    if (!window.confirm(`Remove computed field "${name}"?`)) return;
    await act(async () => {
      await metadata('pg_drop_computed_field', { source, table: { schema, name: table }, name, cascade: true });
      await refreshMetadata();
    }, `Computed field "${name}" removed`);
  };

  return (
    <div data-testid="customization">
      <h2>GraphQL names</h2>
      <Field label="Custom table name" hint="The GraphQL name of the table's type and the base of its root fields.">
        <input value={customName} onChange={(e) => setCustomName(e.target.value)} data-testid="custom-table-name" />
      </Field>
      <details>
        <summary>Custom root fields</summary>
        <div className="grid-2">
          {ROOT_FIELDS.map((k) => (
            <Field key={k} label={k}>
              <input value={roots[k]} placeholder="(default)" onChange={(e) => setRoots({ ...roots, [k]: e.target.value })} data-testid={`root-field-${k}`} />
            </Field>
          ))}
        </div>
      </details>
      <details>
        <summary>Custom column names</summary>
        <div className="grid-2">
          {info.columns.map((c) => (
            <Field key={c.name} label={c.name}>
              <input
                value={colNames[c.name] ?? ''}
                placeholder="(column name)"
                onChange={(e) => setColNames({ ...colNames, [c.name]: e.target.value })}
                data-testid={`custom-column-${c.name}`}
              />
            </Field>
          ))}
        </div>
      </details>
      <Button variant="primary" onClick={saveNames} testid="save-customization">
        Save names
      </Button>

      <h2>Computed fields</h2>
      <DataTable
        testid="computed-fields"
        empty="No computed fields."
        columns={['Name', 'Function', 'Table argument', 'Session argument', '']}
        rows={(entry?.computed_fields ?? []).map((c) => {
          const f = qname(c.definition?.function ?? '');
          return [
            c.name,
            `${f.schema}.${f.name}`,
            c.definition?.table_argument ?? '',
            c.definition?.session_argument ?? '',
            <Button variant="link" onClick={() => dropComputed(c.name)} testid={`drop-computed-${c.name}`}>
              Remove
            </Button>,
          ];
        })}
      />
      <div className="row wrap" data-testid="add-computed-field">
        <input placeholder="field name" value={cf.name} onChange={(e) => setCf({ ...cf, name: e.target.value })} data-testid="computed-name" />
        <input placeholder="[schema.]function" value={cf.fn} onChange={(e) => setCf({ ...cf, fn: e.target.value })} data-testid="computed-function" />
        <input placeholder="table argument (optional)" value={cf.tableArg} onChange={(e) => setCf({ ...cf, tableArg: e.target.value })} />
        <input placeholder="session argument (optional)" value={cf.sessionArg} onChange={(e) => setCf({ ...cf, sessionArg: e.target.value })} />
        <input placeholder="comment" value={cf.comment} onChange={(e) => setCf({ ...cf, comment: e.target.value })} />
        <Button variant="primary" disabled={!cf.name.trim() || !cf.fn.trim()} onClick={addComputed} testid="add-computed-submit">
          Add computed field
        </Button>
      </div>
    </div>
  );
}
