// The console's other workflows in Chromium (puppeteer-core), each checked in the page and through the engine's HTTP APIs.
//
// Steps: login (a wrong secret first); author / article made with the Create Table form and
// their suggested relationships; rows inserted, filtered, sorted, edited and deleted; columns
// added, renamed and dropped and a custom table name set and cleared; an insert permission
// with a session-variable preset and a row check built in the builder through a relationship,
// used as that role, and a select permission's preview; a subscription, JWT decoding and
// Analyze in the API explorer; a cron trigger and a one-off event; a remote schema permission;
// metadata export, reload and an inconsistency deleted from the status page; a relationship
// from a remote schema's type to a table, queried through the remote; an enum table, a
// computed field and a function tracked from the schema page; a deep link, the
// 404 page and logging out. Screenshots go to $SCREENSHOTS. Exits non-zero at the first failure.
//
// Environment: CONSOLE_URL (http://host:port/console), ADMIN_SECRET, BACKEND_URL (the
// tutorial's backend, serving `{ hello }` at /graphql), WRITERS_URL (a GraphQL server with
// `writers { id name }`), SCREENSHOTS (a directory), CHROMIUM.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { engineApi, extras, open } from './driver.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env('CONSOLE_URL');
const SECRET = env('ADMIN_SECRET');
const BACKEND = env('BACKEND_URL');
const WRITERS = env('WRITERS_URL');
const SHOTS = env('SCREENSHOTS');
fs.mkdirSync(SHOTS, { recursive: true });
fs.rmSync(path.join(SHOTS, 'failure.png'), { force: true });

const api = engineApi(BASE, SECRET);
const c = await open(process.env.CHROMIUM || '/usr/bin/chromium');
const { page, tid, notice, step, go, waitAttr } = c;
// Clicks and typing scroll the element to the middle first (the top bar is sticky).
const { choose, waitText, textOf, rowsOf, press: click, enter: fill } = extras(c);
const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const table = (name, tab) => `${BASE}/data/default/schema/public/tables/${name}/${tab}`;
const started = Date.now();

/** JSON with object keys sorted, so that key order does not matter. */
const canon = (v) =>
  JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
const same = (a, b) => canon(a) === canon(b);
function expectEq(actual, expected, what) {
  if (!same(actual, expected)) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
function expect(cond, what) {
  if (!cond) throw new Error(what);
}
/** A table's entry in export_metadata (default source, public schema). */
async function tableEntry(name) {
  const md = await api.exportMetadata();
  return md.sources.find((s) => s.name === 'default')?.tables.find((t) => t.table.schema === 'public' && t.table.name === name);
}
const columnsOf = async (name) =>
  (
    await api.sqlRows(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${name}' ORDER BY ordinal_position`,
    )
  ).map((r) => r.column_name);
/** The JSON in a textarea / input. */
const jsonValue = async (id) => JSON.parse(await page.$eval(tid(id), (e) => e.value));
/** Waits until the rows of a data table, as text, satisfy `pred` (run in the page on the cells). */
const waitRows = (id, pred, what) =>
  page
    .waitForFunction(
      (s, p) => {
        const rows = [...document.querySelectorAll(`${s} tbody tr`)].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim()));
        return new Function('rows', `return (${p})(rows)`)(rows);
      },
      { timeout: 15000 },
      tid(id),
      pred.toString(),
    )
    .catch(async () => {
      throw new Error(`${what}: rows are ${JSON.stringify(await rowsOf(id).catch(() => null))}`);
    });
/** Waits until a button is enabled, then clicks it. */
const clickEnabled = async (id) => {
  await page.waitForFunction((s) => document.querySelector(s) && !document.querySelector(s).disabled, { timeout: 15000 }, tid(id));
  await click(id);
};
/** A JWT-shaped token: base64url header, claims and an arbitrary signature. */
const jwt = (claims) => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.${randomBytes(32).toString('base64url')}`;
};

let adaId;

/**
 * Inserts as role writer through /v1/graphql and checks the preset author_id; a writer who is
 * no author fails the check and inserts nothing. Called while writer has only the insert
 * permission: as in Hasura, `insert_article` then exists with `affected_rows` (its `returning`
 * needs a select permission).
 */
async function insertAsWriter() {
  const asWriter = (id) => ({ 'x-hasura-role': 'writer', 'x-hasura-user-id': String(id) });
  const ins = await api.graphql('mutation { insert_article(objects: [{title: "Written as writer"}]) { affected_rows } }', asWriter(adaId));
  expectEq(ins, { data: { insert_article: { affected_rows: 1 } } }, 'insert as writer');
  const written = await api.query('select', { table: 'article', columns: ['title', 'author_id'], where: { title: 'Written as writer' } });
  expectEq(written, [{ title: 'Written as writer', author_id: adaId }], 'the preset author_id of the row inserted as writer');
  // Someone who is not an author fails the check: nothing is inserted.
  const refused = await api.graphql('mutation { insert_article(objects: [{title: "Not an author"}]) { affected_rows } }', asWriter(adaId + 1000));
  expectEq(refused.errors?.[0]?.extensions?.code, 'permission-error', `insert as a writer who is no author (${JSON.stringify(refused)})`);
  expectEq(await api.query('count', { table: 'article', where: { title: 'Not an author' } }), { count: 0 }, 'rows of the refused insert');
}

try {
  await step('1. login: a wrong secret is refused, then the admin secret lets in', async () => {
    await go(`${BASE}/data/default/schema/public`);
    await fill('login-secret', `${SECRET}-wrong`);
    await click('login-submit');
    await waitText('login-error', 'Invalid admin secret');
    expect((await page.$(tid('schema-page'))) === null, 'the schema page shows after a wrong secret');
    await fill('login-secret', SECRET);
    await click('login-submit');
    await page.waitForSelector(tid('schema-page'), { timeout: 20000 });
    expect((await page.$(tid('login-error'))) === null, 'login-error still shown after logging in');
    const kept = await page.evaluate(() => sessionStorage.getItem('rasura-admin-secret'));
    expectEq(kept, SECRET, 'the secret kept for the session');
  });

  await step('2. author and article made with the Create Table form, tracked, and their suggested relationships', async () => {
    await go(`${BASE}/data/default/schema/public/table/add`);
    await fill('table-name', 'author');
    await fill('column-name-1', 'name');
    await click('create-table');
    await notice('success');
    await page.waitForSelector(tid('modify-table'), { timeout: 15000 });
    expect(page.url().endsWith('/tables/author/modify'), `after creating author the page is ${page.url()}`);

    await go(`${BASE}/data/default/schema/public/table/add`);
    await fill('table-name', 'article');
    await fill('column-name-1', 'title');
    await fill('column-name-2', 'author_id');
    await fill('column-type-2', 'integer');
    await click('add-foreign-key');
    await page.type('input[placeholder="columns (a, b)"]', 'author_id');
    await page.type('input[placeholder="[schema.]table"]', 'author');
    await page.type('input[placeholder="ref columns"]', 'id');
    await waitText('create-table-sql', 'FOREIGN KEY ("author_id") REFERENCES "public"."author" ("id")');
    await shot('data-add-table');
    await click('create-table');
    await notice('success');
    await page.waitForSelector(tid('modify-table'), { timeout: 15000 });

    const tracked = (await api.exportMetadata()).sources[0].tables.map((t) => t.table.name).sort();
    expectEq(tracked, ['article', 'author'], 'tracked tables in export_metadata');
    expectEq(await columnsOf('article'), ['id', 'title', 'author_id'], 'columns of article');
    const fks = await api.sqlRows(
      `SELECT kcu.column_name, ccu.table_name AS ref_table, ccu.column_name AS ref_column
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
         JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
        WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = 'article'`,
    );
    expectEq(fks, [{ column_name: 'author_id', ref_table: 'author', ref_column: 'id' }], 'foreign keys of article');

    await go(table('article', 'relationships'));
    await page.waitForSelector(tid('suggested-name-0'), { timeout: 15000 });
    expectEq(await page.$eval(tid('suggested-name-0'), (e) => e.value), 'author', 'suggested name of article → author');
    await click('add-suggested-0');
    await notice('success');
    await waitText('existing-relationships', 'author');

    await go(table('author', 'relationships'));
    await page.waitForSelector(tid('suggested-name-0'), { timeout: 15000 });
    expectEq(await page.$eval(tid('suggested-name-0'), (e) => e.value), 'articles', 'suggested name of author → articles');
    await click('add-suggested-0');
    await notice('success');
    await waitText('existing-relationships', 'articles');
    await page.waitForSelector(tid('suggested-relationships-empty'), { timeout: 15000 });
    await shot('data-relationships');

    const article = await tableEntry('article');
    const author = await tableEntry('author');
    expectEq(
      article.object_relationships?.map((r) => [r.name, r.using]),
      [['author', { foreign_key_constraint_on: 'author_id' }]],
      'object relationships of article',
    );
    expectEq(
      author.array_relationships?.map((r) => [r.name, r.using]),
      [['articles', { foreign_key_constraint_on: { column: 'author_id', table: { name: 'article', schema: 'public' } } }]],
      'array relationships of author',
    );
  });

  await step('3. rows inserted, filtered, sorted, edited and deleted', async () => {
    const ids = {};
    for (const name of ['Ada', 'Grace']) {
      await go(table('author', 'insert'));
      await fill('insert-row-form-name', name);
      await click('insert-row-form-submit');
      await notice('success');
      const result = JSON.parse(await waitText('insert-row-result', name));
      ids[name] = result.returning?.[0]?.id;
      expect(Number.isInteger(ids[name]), `the inserted row's id is shown: ${JSON.stringify(result)}`);
    }
    adaId = ids.Ada;
    await go(table('article', 'insert'));
    await fill('insert-row-form-title', 'Notes on the Engine');
    await fill('insert-row-form-author_id', String(adaId));
    await click('insert-row-form-submit');
    await notice('success');
    await waitText('insert-row-result', 'Notes on the Engine');

    // A filter: name = Grace.
    await go(table('author', 'browse'));
    await waitText('page-info', 'of 2');
    await click('add-filter');
    await choose('filter-column-0', 'name');
    await choose('filter-op-0', '_eq');
    await fill('filter-value-0', 'Grace');
    await click('run-filter');
    await waitText('page-info', 'of 1');
    await waitRows('browse-table', (rows) => rows.length === 1 && rows[0][2] === 'Grace', 'filtered by name = Grace');

    // Sorting by name, ascending then descending.
    await go(table('author', 'browse'));
    await waitText('page-info', 'of 2');
    await click('sort-name');
    await waitRows('browse-table', (rows) => rows.map((r) => r[2]).join() === 'Ada,Grace', 'sorted by name ascending');
    await click('sort-name');
    await waitRows('browse-table', (rows) => rows.map((r) => r[2]).join() === 'Grace,Ada', 'sorted by name descending');

    // Ada (the second row now) renamed, Grace (the first) deleted.
    await click('edit-row-1');
    await fill('edit-row-form-name', 'Ada Lovelace');
    await click('edit-row-form-submit');
    await notice('success');
    await waitRows('browse-table', (rows) => rows.map((r) => r[2]).join() === 'Grace,Ada Lovelace', 'after the edit');
    await click('delete-row-0');
    await notice('success');
    await waitRows('browse-table', (rows) => rows.map((r) => r[2]).join() === 'Ada Lovelace', 'after the delete');
    await waitText('page-info', 'of 1');

    const authors = await api.query('select', { table: 'author', columns: ['id', 'name'], order_by: ['id'] });
    expectEq(authors, [{ id: adaId, name: 'Ada Lovelace' }], 'authors (select through /v2/query)');
    const articles = await api.query('select', { table: 'article', columns: ['title', 'author_id'] });
    expectEq(articles, [{ title: 'Notes on the Engine', author_id: adaId }], 'articles (select through /v2/query)');
  });

  await step('4. Modify: a column added, renamed and dropped; a custom table name set and cleared', async () => {
    await go(table('author', 'modify'));
    await fill('add-column-name', 'nickname');
    await fill('add-column-type', 'text');
    await click('add-column-submit');
    await notice('success');
    expectEq(await columnsOf('author'), ['id', 'name', 'nickname'], 'columns after adding nickname');

    await click('edit-column-nickname');
    await fill('edit-column-name-nickname', 'alias');
    await click('save-column-nickname');
    await notice('success');
    expectEq(await columnsOf('author'), ['id', 'name', 'alias'], 'columns after renaming nickname to alias');

    await click('drop-column-alias');
    await notice('success');
    await page.waitForFunction((s) => !document.querySelector(s), { timeout: 15000 }, tid('drop-column-alias'));
    expectEq(await columnsOf('author'), ['id', 'name'], 'columns after dropping alias');

    await fill('custom-table-name', 'writers');
    await click('save-customization');
    await notice('success');
    expectEq((await tableEntry('author')).configuration?.custom_name, 'writers', 'custom_name in export_metadata');
    const custom = await api.graphql('{ writers { name } }');
    expectEq(custom, { data: { writers: [{ name: 'Ada Lovelace' }] } }, '{ writers { name } } under the custom name');

    await fill('custom-table-name', '');
    await click('save-customization');
    await notice('success');
    const cleared = await tableEntry('author');
    expect(cleared.configuration?.custom_name === undefined, `custom_name still set: ${JSON.stringify(cleared.configuration)}`);
    const back = await api.graphql('{ author { name } }');
    expectEq(back, { data: { author: [{ name: 'Ada Lovelace' }] } }, '{ author { name } } after clearing the custom name');
  });

  await step('5. permissions: writer inserts articles under a check built through the relationship, with a preset; a select preview', async () => {
    await go(table('article', 'permissions'));
    await fill('perm-new-role', 'writer');
    await click('perm-cell-new-insert');
    await page.waitForSelector('[data-testid="perm-editor"][data-role="writer"][data-kind="insert"]', { timeout: 15000 });
    // The check, in the builder: author (relationship) → id _eq X-Hasura-User-Id.
    await click('perm-check-custom');
    await choose('perm-check-builder-add-root', 'author');
    await choose('perm-check-builder-add-0', 'id');
    await choose('perm-check-builder-op-0.0', '_eq');
    await choose('perm-check-builder-session-0.0', 'X-Hasura-User-Id');
    const check = { author: { id: { _eq: 'X-Hasura-User-Id' } } };
    await page.waitForFunction((s) => document.querySelector(s)?.value.includes('X-Hasura-User-Id'), { timeout: 5000 }, tid('perm-check'));
    expectEq(await jsonValue('perm-check'), check, 'the check the builder wrote');
    // author_id is not the writer's to give: it comes from the session.
    await click('perm-column-author_id');
    await click('perm-preset-add');
    await choose('perm-preset-column-0', 'author_id');
    await choose('perm-preset-type-0', 'session');
    await fill('perm-preset-value-0', 'X-Hasura-User-Id');
    await click('perm-save');
    await notice('success');
    await waitAttr(tid('perm-cell-writer-insert'), 'data-access', 'partial');

    const perm = (await tableEntry('article')).insert_permissions?.find((p) => p.role === 'writer')?.permission;
    expect(perm, 'no insert permission for writer in export_metadata');
    expectEq(perm.check, check, 'insert check in export_metadata');
    expectEq(perm.set, { author_id: 'X-Hasura-User-Id' }, 'insert preset in export_metadata');
    expectEq([...perm.columns].sort(), ['id', 'title'], 'insert columns in export_metadata');

    // Insert alone is enough to insert (affected_rows only, as in Hasura).
    await insertAsWriter();

    // A select permission for writer (its own articles, filter from the builder), then its preview.
    await click('perm-cell-writer-select');
    await page.waitForSelector('[data-testid="perm-editor"][data-role="writer"][data-kind="select"]', { timeout: 15000 });
    await click('perm-filter-custom');
    await choose('perm-builder-add-root', 'author_id');
    await choose('perm-builder-session-0', 'X-Hasura-User-Id');
    await page.waitForFunction((s) => document.querySelector(s)?.value.includes('X-Hasura-User-Id'), { timeout: 5000 }, tid('perm-filter'));
    expectEq(await jsonValue('perm-filter'), { author_id: { _eq: 'X-Hasura-User-Id' } }, 'the filter the builder wrote');
    await click('perm-save');
    await notice('success');
    await waitAttr(tid('perm-cell-writer-select'), 'data-access', 'partial');
    await fill('perm-preview-var-key-0', 'x-hasura-user-id');
    await fill('perm-preview-var-value-0', String(adaId));
    await clickEnabled('perm-preview');
    await waitAttr(tid('perm-preview-result'), 'data-state', 'rows');
    await waitText('perm-preview-count', '2 rows');
    await waitText('perm-preview-result', 'Written as writer');
    await waitText('perm-preview-result', 'Notes on the Engine');
    const sel = (await tableEntry('article')).select_permissions?.find((p) => p.role === 'writer')?.permission;
    expectEq(sel?.filter, { author_id: { _eq: 'X-Hasura-User-Id' } }, 'select filter in export_metadata');
  });

  await step('6. API explorer: Analyze, a live subscription, JWT claims decoded', async () => {
    await go(`${BASE}/api/api-explorer?query=${encodeURIComponent('query Authors { author { name articles { title } } }')}`);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 20000 });
    await click('explorer-analyze');
    await page.waitForSelector(tid('analyze-sql-0'), { timeout: 15000 });
    const sql = await textOf('analyze-sql-0');
    expect(/select/i.test(sql) && sql.includes('author') && sql.includes('article'), `Analyze shows no SQL for the query: ${sql}`);
    await click('analyze-close');

    await go(`${BASE}/api/api-explorer?query=${encodeURIComponent('subscription { author(order_by: {id: asc}) { name } }')}`);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 20000 });
    if (await page.$eval(tid('role-enabled'), (e) => e.checked)) await click('role-enabled');
    await sleep(600); // the fetcher follows the headers once typing pauses (400 ms)
    await page.click('.graphiql-execute-button');
    await waitText('explorer-response', 'Ada Lovelace', 20000);
    const added = await api.graphql('mutation { insert_author_one(object: {name: "Live Row"}) { id } }');
    expect(added.data?.insert_author_one?.id, `insert through /v1/graphql: ${JSON.stringify(added)}`);
    const live = JSON.parse(await waitText('explorer-response', 'Live Row', 20000));
    expectEq(live, { data: { author: [{ name: 'Ada Lovelace' }, { name: 'Live Row' }] } }, 'the subscription after the insert');
    await page.click('.graphiql-execute-button'); // stops it

    const claims = {
      sub: String(adaId),
      name: 'Ada Lovelace',
      iat: 1700000000,
      'https://hasura.io/jwt/claims': { 'x-hasura-default-role': 'writer', 'x-hasura-allowed-roles': ['writer'], 'x-hasura-user-id': String(adaId) },
    };
    await click('header-add');
    const i = (await page.$$('[data-testid^="header-row-"]')).length - 1;
    await fill(`header-key-${i}`, 'Authorization');
    await fill(`header-value-${i}`, `Bearer ${jwt(claims)}`);
    await page.waitForSelector(tid('jwt-decoded'), { timeout: 10000 });
    expectEq(JSON.parse(await textOf('jwt-claims')), claims, 'decoded claims');
    expectEq(JSON.parse(await textOf('jwt-header')), { alg: 'HS256', typ: 'JWT' }, 'decoded JWT header');
    await click(`header-remove-${i}`);
    await page.waitForFunction((s) => !document.querySelector(s), { timeout: 5000 }, tid('jwt-decoded'));
  });

  await step('7. events: a cron trigger and a one-off scheduled event', async () => {
    await go(`${BASE}/events/cron/add`);
    await fill('cron-name', 'nightly_digest');
    await fill('cron-schedule', '0 3 * * *');
    await fill('cron-webhook', `${BACKEND}/cron`);
    await fill('cron-payload', '{"digest": "nightly"}');
    await click('cron-create');
    await notice('success');
    await page.waitForSelector(tid('cron-page-modify'), { timeout: 15000 });
    await go(`${BASE}/events/cron/manage`);
    await page.waitForSelector(tid('cron-link-nightly_digest'), { timeout: 15000 });
    await waitText('cron-table', '0 3 * * *');
    await shot('events-cron');
    const cron = (await api.exportMetadata()).cron_triggers?.find((t) => t.name === 'nightly_digest');
    expect(cron, 'nightly_digest is not in export_metadata cron_triggers');
    expectEq([cron.schedule, cron.webhook, cron.payload, cron.include_in_metadata], ['0 3 * * *', `${BACKEND}/cron`, { digest: 'nightly' }, true], 'the cron trigger in export_metadata');

    // In a time zone other than UTC, the default time is still about a minute from now.
    await page.emulateTimezone('Asia/Kolkata');
    await go(`${BASE}/events/one-off-scheduled-events`);
    await fill('oneoff-webhook', `${BACKEND}/one-off`);
    await fill('oneoff-payload', '{"reminder": "write"}');
    await click('oneoff-create');
    await notice('success');
    await waitText('scheduled-pending-table', `${BACKEND}/one-off`);
    const events = await api.metadata('get_scheduled_events', { type: 'one_off' });
    const ev = events.events?.find((e) => JSON.stringify(e.webhook_conf).includes(`${BACKEND}/one-off`));
    expect(ev, `the one-off event is not in get_scheduled_events: ${JSON.stringify(events)}`);
    expectEq(ev.payload, { reminder: 'write' }, 'the one-off event payload');
    const ahead = (Date.parse(ev.scheduled_time) - Date.now()) / 1000;
    expect(ahead > -120 && ahead < 120, `the one-off event is scheduled at ${ev.scheduled_time}, ${Math.round(ahead)} s from now (by default: in a minute)`);
    await page.emulateTimezone();
  });

  await step('8. the hello remote schema and a permission for role user', async () => {
    await go(`${BASE}/remote-schemas/manage/add`);
    await fill('remote-name', 'hello');
    await fill('remote-url', `${BACKEND}/graphql`);
    await click('remote-create');
    await notice('success');
    await page.waitForSelector(tid('remote-details'), { timeout: 15000 });

    await go(`${BASE}/remote-schemas/manage/hello/permissions`);
    await fill('remote-perm-new-role', 'user');
    await click('remote-perm-new');
    await page.waitForSelector(tid('remote-perm-editor'), { timeout: 15000 });
    // Prefilled with the remote schema (introspected) for a new role.
    await page.waitForFunction((s) => document.querySelector(s)?.value.includes('hello'), { timeout: 15000 }, tid('remote-perm-sdl'));
    const sdl = 'type Query { hello: String! }';
    await fill('remote-perm-sdl', sdl);
    await click('remote-perm-save');
    const config = await (await fetch(`${api.origin}/v1alpha1/config`, { headers: { 'x-hasura-admin-secret': SECRET } })).json();
    const remote = async () => (await api.exportMetadata()).remote_schemas?.find((r) => r.name === 'hello');
    if (config.is_remote_schema_permissions_enabled) {
      await notice('success');
      await page.waitForSelector(tid('remote-perm-delete'), { timeout: 15000 });
      expectEq((await remote())?.permissions, [{ role: 'user', definition: { schema: sdl } }], 'remote schema permissions in export_metadata');
      // Role user (the unauthorized role: no credentials) may now ask for hello.
      const r = await (await fetch(`${api.origin}/v1/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{ hello }"}' })).json();
      expectEq(r, { data: { hello: 'Hello World' } }, '{ hello } as role user');
    } else {
      // As in Hasura: permissions are refused while remote schema permissions are off.
      const text = await notice('error').catch((e) => {
        throw new Error(`remote schema permissions are off (/v1alpha1/config) but saving one did not fail: ${e.message}`);
      });
      expect(/remote schema permissions/i.test(text), `the refusal does not say why: ${text}`);
      expectEq((await remote())?.permissions ?? [], [], 'remote schema permissions in export_metadata');
    }
  });

  await step('9. settings: export, reload, and an inconsistency shown and deleted', async () => {
    await go(`${BASE}/settings/metadata-actions`);
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: path.resolve(SHOTS) });
    const exported = () => fs.readdirSync(SHOTS).filter((f) => /^hasura_metadata_.*\.json$/.test(f));
    for (const f of exported()) fs.rmSync(path.join(SHOTS, f));
    await click('metadata-export');
    await notice('success');
    const deadline = Date.now() + 10000;
    while (!exported().length && Date.now() < deadline) await sleep(100);
    expect(exported().length === 1, `no exported file in ${SHOTS}: ${fs.readdirSync(SHOTS).join(', ')}`);
    const file = path.join(SHOTS, exported()[0]);
    let md;
    try {
      md = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`the exported file is not JSON: ${e.message}`);
    }
    fs.rmSync(file);
    expect(Array.isArray(md.sources), `the exported file has no sources: ${Object.keys(md)}`);
    const names = md.sources.find((s) => s.name === 'default')?.tables.map((t) => t.table.name).sort();
    expectEq(names, ['article', 'author'], 'tables in the exported file');
    expect(md.remote_schemas?.some((r) => r.name === 'hello'), 'the exported file has no hello remote schema');

    await click('metadata-reload');
    await notice('success');
    expectEq(JSON.parse(await waitText('reload-result', 'is_consistent')).is_consistent, true, 'reload_metadata is_consistent');
    await shot('settings-metadata-actions');

    await click('settings-metadata-status');
    await page.waitForSelector(tid('metadata-consistent'), { timeout: 15000 });

    // The title column of article goes without the engine's consistency check: the writer's
    // permissions name it.
    await api.query('run_sql', { sql: 'ALTER TABLE public.article DROP COLUMN title;', check_metadata_consistency: false });
    await click('status-reload');
    await notice('success');
    await page.waitForSelector(tid('inconsistent-objects'), { timeout: 15000 });
    const listed = (await rowsOf('inconsistent-objects')).map((r) => r[0]).sort();
    expectEq(listed, ['insert_permission', 'select_permission'], 'inconsistent objects listed');
    await waitText('inconsistent-objects', 'title');
    const before = await api.metadata('get_inconsistent_metadata');
    expectEq(before.is_consistent, false, 'get_inconsistent_metadata before Delete all');
    await click('status-delete-all');
    await notice('success');
    await page.waitForSelector(tid('metadata-consistent'), { timeout: 15000 });
    const after = await api.metadata('get_inconsistent_metadata');
    expectEq([after.is_consistent, after.inconsistent_objects], [true, []], 'get_inconsistent_metadata after Delete all');
    const article = await tableEntry('article');
    expectEq([article.insert_permissions ?? [], article.select_permissions ?? []], [[], []], 'writer permissions of article after Delete all');
  });

  await step('10. a relationship from a remote schema type to a table, made in the Relationships tab', async () => {
    await api.metadata('add_remote_schema', { name: 'writers', definition: { url: WRITERS, timeout_seconds: 10 } });
    await go(`${BASE}/remote-schemas/manage/writers/relationships`);
    await page.waitForSelector(tid('rs-rel-form'), { timeout: 15000 });
    await choose('rs-rel-type', 'Writer');
    await fill('rs-rel-name', 'author');
    await choose('rs-rel-kind', 'object');
    await choose('rs-rel-table', JSON.stringify(['default', 'public', 'author']));
    await choose('rs-rel-map-id', 'id');
    await click('rs-rel-save');
    await notice('success');
    await waitText('rs-relationships', 'id → id');
    await shot('remote-schema-relationships');
    const remote = (await api.exportMetadata()).remote_schemas.find((r) => r.name === 'writers');
    expectEq(
      remote.remote_relationships,
      [{ type_name: 'Writer', relationships: [{ name: 'author', definition: { to_source: { source: 'default', table: { schema: 'public', name: 'author' }, relationship_type: 'object', field_mapping: { id: 'id' } } } }] }],
      'the relationship in export_metadata',
    );
    // Each writer with the author row of its id, or null.
    const authors = await api.query('select', { table: 'author', columns: ['id', 'name'] });
    const body = await api.graphql('{ writers { id author { name } } }');
    expect(body.data?.writers?.length === 3, `writers answered: ${JSON.stringify(body)}`);
    for (const w of body.data.writers) {
      const row = authors.find((a) => a.id === w.id);
      expectEq(w.author, row ? { name: row.name } : null, `the author of writer ${w.id}`);
    }
    expect(body.data.writers.some((w) => w.author), `no writer was joined to an author: ${JSON.stringify(body)}`);
  });

  await step('11. an enum table, a computed field and a function tracked from the console', async () => {
    await go(`${BASE}/data/sql`);
    await fill(
      'sql-input',
      [
        "CREATE TABLE genre (value text PRIMARY KEY, comment text);",
        "INSERT INTO genre VALUES ('poetry', 'Poems'), ('essay', 'Essays');",
        'CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL, genre text REFERENCES genre (value));',
        "INSERT INTO book (title, genre) VALUES ('Odes', 'poetry'), ('Notes', 'essay');",
        'CREATE FUNCTION author_shout(a author) RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(a.name) $$;',
        'CREATE FUNCTION authors_named(pattern text) RETURNS SETOF author LANGUAGE sql STABLE AS $$ SELECT * FROM author WHERE name ILIKE pattern $$;',
      ].join('\n'),
    );
    await click('sql-run');
    await notice('success');

    // Tracked from the schema page: both tables, then the set-returning function.
    await go(`${BASE}/data/default/schema/public`);
    for (const t of ['genre', 'book']) {
      await click(`track-${t}`);
      await page.waitForSelector(tid(`untrack-${t}`), { timeout: 15000 });
    }
    await click('track-function-authors_named');
    await page.waitForSelector(tid('untrack-function-authors_named'), { timeout: 15000 });
    const named = await api.graphql('{ authors_named(args: {pattern: "ada%"}) { name } }');
    expectEq(named, { data: { authors_named: [{ name: 'Ada Lovelace' }] } }, 'the tracked function as a root field');

    // genre becomes an enum: book.genre is typed by it and compared with its values.
    await go(table('genre', 'modify'));
    await click('set-enum');
    await notice('success');
    expectEq((await tableEntry('genre')).is_enum, true, 'is_enum in export_metadata');
    const values = await api.graphql('{ __type(name: "genre_enum") { enumValues { name description } } }');
    expectEq(
      values.data?.__type?.enumValues,
      [
        { name: 'essay', description: 'Essays' },
        { name: 'poetry', description: 'Poems' },
      ],
      `genre_enum's values (${JSON.stringify(values)})`,
    );
    const poems = await api.graphql('{ book(where: {genre: {_eq: poetry}}) { title genre } }');
    expectEq(poems, { data: { book: [{ title: 'Odes', genre: 'poetry' }] } }, 'books compared with an enum value');

    // A computed field on author from its Modify tab.
    await go(table('author', 'modify'));
    await fill('computed-name', 'shout');
    await fill('computed-function', 'author_shout');
    await clickEnabled('add-computed-submit');
    await notice('success');
    await waitText('computed-fields', 'public.author_shout');
    await shot('data-modify-computed');
    const shouted = await api.graphql('{ author(where: {shout: {_eq: "ADA LOVELACE"}}) { name shout } }');
    expectEq(shouted, { data: { author: [{ name: 'Ada Lovelace', shout: 'ADA LOVELACE' }] } }, 'the computed field, in a filter and selected');
  });

  await step('12. a deep link loads directly, an unknown path is a 404, log out asks again', async () => {
    const deep = table('article', 'modify');
    await go(deep);
    await page.waitForSelector(tid('modify-columns'), { timeout: 15000 });
    expectEq(page.url(), deep, 'URL of the deep link');
    expect((await page.$eval('h1', (e) => e.textContent)) === 'public.article', 'the deep link does not show public.article');

    // A new page: the session (and so the secret) is per tab, so it asks; then shows the deep link's page.
    const fresh = await c.browser.newPage();
    try {
      await fresh.goto(deep, { waitUntil: 'networkidle0' });
      await fresh.waitForSelector(`${tid('login-secret')}, ${tid('modify-columns')}`, { timeout: 15000 });
      if (await fresh.$(tid('login-secret'))) {
        await fresh.type(tid('login-secret'), SECRET);
        await fresh.click(tid('login-submit'));
      }
      await fresh.waitForSelector(tid('modify-columns'), { timeout: 15000 });
      expectEq(fresh.url(), deep, 'URL of the deep link in a new page');
      const cols = await fresh.$$eval(`${tid('modify-columns')} tbody tr td:first-child`, (tds) => tds.map((td) => td.textContent));
      expectEq(cols, ['id', 'author_id'], 'columns on the deep-linked modify page');
    } finally {
      await fresh.close();
    }

    await go(`${BASE}/no/such/page`);
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Page not found', { timeout: 10000 });
    await go(`${BASE}/data/default/schema/public/tables/article/no-such-tab`);
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Page not found', { timeout: 10000 });

    await click('logout');
    await page.waitForSelector(tid('login-secret'), { timeout: 15000 });
    expectEq(await page.evaluate(() => sessionStorage.getItem('rasura-admin-secret')), null, 'the secret after logging out');
    await go(`${BASE}/settings/about`);
    await page.waitForSelector(tid('login-secret'), { timeout: 15000 });
  });
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`FAILED: ${e.message}\n${c.errors.join('\n')}`);
  await c.close();
  process.exit(1);
}
await c.close();
console.log(`console workflows: all steps passed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
