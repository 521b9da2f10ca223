// The tutorial done entirely in the console, in Debian's Chromium driven by puppeteer-core:
// log in, create and track `user` by Run SQL, grant `user` select, add the `login` action,
// the insert event trigger and the `hello` remote schema, run `{ hello }`, insert a row and
// see its event delivered, then narrow the permission and check it by a query as that role.
// Screenshots of each main page go to $SCREENSHOTS. Exits non-zero at the first failure.
//
// Environment: CONSOLE_URL (http://host:port/console), ADMIN_SECRET, BACKEND_URL (the
// tutorial's backend: /login, /event, /graphql), SCREENSHOTS (a directory), CHROMIUM.
import fs from 'node:fs';
import path from 'node:path';
import { open } from './driver.mjs';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env('CONSOLE_URL');
const BACKEND = env('BACKEND_URL');
const SHOTS = env('SCREENSHOTS');
fs.mkdirSync(SHOTS, { recursive: true });

const c = await open(process.env.CHROMIUM || '/usr/bin/chromium');
const { page, tid, click, fill, notice, step, go, explorerRun } = c;
const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

try {
  await step('the admin secret is asked once', async () => {
    await go(`${BASE}/data/default/schema/public`);
    await fill('login-secret', env('ADMIN_SECRET'));
    await shot('login');
    await click('login-submit');
    await page.waitForSelector(tid('schema-page'), { timeout: 20000 });
    // A deep link loaded after logging in does not ask again (the session keeps the secret).
    await go(`${BASE}/settings/about`);
    await page.waitForFunction((s) => document.querySelector(s)?.textContent.length > 0, {}, tid('server-version'));
    await shot('settings-about');
  });

  await step('Run SQL creates the user table and tracks it', async () => {
    await go(`${BASE}/data/sql`);
    await fill('sql-input', 'CREATE TABLE "user" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL);');
    await click('sql-track-this');
    await shot('data-sql');
    await click('sql-run');
    await notice('success');
    await page.waitForSelector(tid('sidebar-table-user'), { timeout: 15000 });
  });

  await step('a select permission for role user', async () => {
    await go(`${BASE}/data/default/schema/public/tables/user/permissions`);
    await fill('perm-new-role', 'user');
    await click('perm-cell-new-select');
    await page.waitForSelector(tid('perm-editor'));
    await click('perm-save');
    await notice('success');
    await c.waitAttr(tid('perm-cell-user-select'), 'data-access', 'full');
  });

  await step('the login action, and its codegen', async () => {
    await go(`${BASE}/actions/manage/add`);
    await fill('action-sdl', 'type Mutation {\n  login(username: String!, password: String!): LoginResponse\n}');
    await fill('action-types-sdl', 'type LoginResponse {\n  AccessToken: String!\n}');
    await fill('action-handler', `${BACKEND}/login`);
    await shot('actions-add');
    await click('action-create');
    await notice('success');
    await page.waitForSelector(tid('action-page-modify'), { timeout: 15000 });
    await click('action-tab-codegen');
    await page.waitForFunction((s) => document.querySelector(s)?.textContent.includes('LoginResponse'), { timeout: 15000 }, tid('codegen-output'));
    await shot('actions-codegen');
  });

  await step('the insert event trigger on user', async () => {
    await go(`${BASE}/events/data/add`);
    await fill('trigger-name', 'user_created');
    await page.select(tid('trigger-table'), JSON.stringify(['default', 'public', 'user']));
    await click('trigger-op-insert');
    await fill('trigger-webhook', `${BACKEND}/event`);
    await shot('events-add');
    await click('trigger-create');
    await notice('success');
    await page.waitForSelector(tid('trigger-page-modify'), { timeout: 15000 });
  });

  await step('the hello remote schema', async () => {
    await go(`${BASE}/remote-schemas/manage/add`);
    await fill('remote-name', 'hello');
    await fill('remote-url', `${BACKEND}/graphql`);
    await click('remote-create');
    await notice('success');
    await page.waitForSelector(tid('remote-details'), { timeout: 15000 });
    await page.waitForFunction(() => document.body.textContent.includes('hello'), { timeout: 15000 });
    await shot('remote-schemas-details');
  });

  await step('{ hello } in the API explorer', async () => {
    const answer = await explorerRun(`${BASE}/api/api-explorer`, '{ hello }', 'Hello World');
    if (JSON.parse(answer).data?.hello !== 'Hello World') throw new Error(`answer: ${answer}`);
    await shot('api-explorer');
  });

  await step('a row inserted from the console is delivered to the event handler', async () => {
    for (const name of ['Ada Lovelace', 'Charles Babbage']) {
      await go(`${BASE}/data/default/schema/public/tables/user/insert`);
      await fill('insert-row-form-name', name);
      await click('insert-row-form-submit');
      await notice('success');
    }
    await go(`${BASE}/data/default/schema/public/tables/user/browse`);
    await page.waitForFunction(() => document.body.textContent.includes('Charles Babbage'), { timeout: 15000 });
    await shot('data-browse');
    const deadline = Date.now() + 60000;
    for (;;) {
      await go(`${BASE}/events/data/user_created/processed`);
      const delivered = await page.$$('[data-testid="event-row"][data-status="delivered"]');
      if (delivered.length >= 2) break;
      if (Date.now() > deadline) throw new Error(`${delivered.length} of 2 events shown delivered`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await shot('events-processed');
  });

  await step('a narrowed permission, checked by a query as that role', async () => {
    await go(`${BASE}/data/default/schema/public/tables/user/permissions`);
    await click('perm-cell-user-select');
    await click('perm-filter-custom');
    await fill('perm-filter', '{"name": {"_eq": "Ada Lovelace"}}');
    await shot('data-permissions');
    await click('perm-save');
    await notice('success');
    await c.waitAttr(tid('perm-cell-user-select'), 'data-access', 'partial');
    const answer = await explorerRun(`${BASE}/api/api-explorer`, '{ user { name } }', 'Ada', 'user');
    const names = JSON.parse(answer).data?.user?.map((u) => u.name);
    if (JSON.stringify(names) !== '["Ada Lovelace"]') throw new Error(`as user: ${answer}`);
  });

  await step('the other main pages', async () => {
    await go(`${BASE}/data/default/schema/public`);
    await page.waitForSelector(tid('schema-page'));
    await shot('data-schema');
    await go(`${BASE}/data/default/schema/public/tables/user/modify`);
    await page.waitForSelector(tid('modify-columns'));
    await shot('data-modify');
    await go(`${BASE}/settings/metadata-status`);
    await page.waitForSelector(tid('metadata-consistent'), { timeout: 15000 });
    await shot('settings-metadata-status');
  });
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(`FAILED: ${e.message}\n${c.errors.join('\n')}`);
  await c.close();
  process.exit(1);
}
await c.close();
console.log('console tutorial: all steps passed');
