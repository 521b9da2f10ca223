// Table page: loads the table's columns and metadata entry, shows the tabs (browse, insert, modify, relationships, permissions).
import { lazy, Suspense } from 'react';
import { useAsync } from '../../hooks';
import { findTable, refreshMetadata, TableEntry, useMetadata } from '../../metadata';
import { act } from '../../notify';
import { tablePath } from '../../paths';
import { Button, ErrorBox, Loading, NotFound, PageHeader, Tabs } from '../../ui';
import { tableInfo, TableInfo } from './pg';
import { trackTable } from './SchemaPage';

import Browse from './Browse';
import InsertRow from './InsertRow';
import Modify from './Modify';

// The relationships and permissions tabs (remote relationships, the row-check builder, the
// preview) load when first opened, so the other data pages stay small.
const Relationships = lazy(() => import('./Relationships'));
const Permissions = lazy(() => import('./Permissions'));

export interface TableCtx {
  source: string;
  schema: string;
  table: string;
  info: TableInfo;
  entry: TableEntry | undefined;
  reloadInfo: () => Promise<void>;
}

const TABS = [
  { tab: 'browse', label: 'Browse Rows' },
  { tab: 'insert', label: 'Insert Row' },
  { tab: 'modify', label: 'Modify' },
  { tab: 'relationships', label: 'Relationships' },
  { tab: 'permissions', label: 'Permissions' },
];

export default function TablePage({ source, schema, table, tab }: { source: string; schema: string; table: string; tab: string }) {
  const { md } = useMetadata();
  const info = useAsync(() => tableInfo(source, schema, table), [source, schema, table]);
  const entry = findTable(md, source, schema, table);
  if (!TABS.some((t) => t.tab === tab)) return <NotFound />;
  const header = (
    <>
      <PageHeader title={`${schema}.${table}`}>
        {md && !entry && (
          <Button
            variant="primary"
            testid="track-this-table"
            onClick={() =>
              act(async () => {
                await trackTable(source, schema, table);
                await refreshMetadata();
              }, `Table "${table}" tracked`)
            }
          >
            Track
          </Button>
        )}
      </PageHeader>
      {md && !entry && <p className="warn">This table is not tracked: it is not in the GraphQL schema.</p>}
      <Tabs items={TABS.map((t) => ({ label: t.label, to: tablePath(source, schema, table, t.tab), testid: `table-tab-${t.tab}` }))} />
    </>
  );
  if (info.error) return (
    <>
      {header}
      <ErrorBox error={info.error} />
    </>
  );
  if (!info.data) return (
    <>
      {header}
      <Loading />
    </>
  );
  const ctx: TableCtx = { source, schema, table, info: info.data, entry, reloadInfo: info.reload };
  return (
    <div data-testid={`table-page-${tab}`}>
      {header}
      <div className="tab-body">
        <Suspense fallback={<Loading />}>
          {tab === 'browse' && <Browse ctx={ctx} />}
          {tab === 'insert' && <InsertRow ctx={ctx} />}
          {tab === 'modify' && <Modify ctx={ctx} />}
          {tab === 'relationships' && <Relationships ctx={ctx} />}
          {tab === 'permissions' && <Permissions ctx={ctx} />}
        </Suspense>
      </div>
    </div>
  );
}
