// The browser-test helpers: Chromium launched headless, actions by `data-testid`, the
// console's notifications, and a query run in the API explorer (optionally as a role).
import puppeteer from 'puppeteer-core';

export async function open(executablePath) {
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,860'],
    defaultViewport: { width: 1280, height: 860 },
  });
  const page = await browser.newPage();
  const errors = [];
  page.on('dialog', (d) => d.accept());
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  const tid = (id) => `[data-testid="${id}"]`;
  const click = async (id) => {
    await page.waitForSelector(tid(id), { visible: true, timeout: 15000 });
    await page.click(tid(id));
  };
  // Inputs are React-controlled: cleared by keyboard, then typed into.
  const fill = async (id, text) => {
    await page.waitForSelector(tid(id), { visible: true, timeout: 15000 });
    await page.click(tid(id));
    await page.keyboard.down('Control');
    await page.keyboard.press('A');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.type(tid(id), text);
  };
  // Waits for the next notification; fails if it is not of `kind`.
  const notice = async (kind) => {
    const el = await page.waitForSelector('[data-testid^="notification-"]', { timeout: 20000 });
    const [got, text] = await el.evaluate((e) => [e.getAttribute('data-testid'), e.textContent]);
    await el.evaluate((e) => e.click());
    await page.waitForFunction((e) => !e.isConnected, { timeout: 5000 }, el).catch(() => {});
    if (got !== `notification-${kind}`) throw new Error(`${got}: ${text}`);
    return text;
  };
  const go = (url) => page.goto(url, { waitUntil: 'networkidle0' });
  const waitAttr = (selector, name, value) =>
    page.waitForFunction(
      (s, n, v) => document.querySelector(s)?.getAttribute(n) === v,
      { timeout: 15000 },
      selector,
      name,
      value,
    );
  // Opens the explorer with `query`, as `role` if given, runs it and answers the response
  // text once it contains `expect`.
  const explorerRun = async (url, query, expect, role) => {
    await go(`${url}?query=${encodeURIComponent(query)}`);
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20000 });
    if (role) await fill('role-input', role);
    // The schema is fetched (for the role) before the query runs.
    await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 20000 });
    await new Promise((r) => setTimeout(r, 1000));
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      (s, e) => document.querySelector(s)?.textContent.includes(e),
      { timeout: 20000 },
      tid('explorer-response'),
      expect,
    );
    return page.$eval(tid('explorer-response'), (e) => e.textContent);
  };
  const step = async (name, fn) => {
    const t0 = Date.now();
    try {
      await fn();
    } catch (e) {
      e.message = `${name}: ${e.message}`;
      throw e;
    }
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  };
  return {
    browser, page, errors, tid, click, fill, notice, go, waitAttr, explorerRun, step,
    close: () => browser.close(),
  };
}

// More helpers for a page opened by `open`: picking an option of a `<select>` once it is
// offered, waiting for a text, and reading an element's text.
export function extras({ page, tid }) {
  // Selects `value` in the `<select>` `id`, waiting until it has that option.
  const choose = async (id, value, timeout = 15000) => {
    await page
      .waitForFunction(
        (s, v) => [...(document.querySelector(s)?.options ?? [])].some((o) => o.value === v),
        { timeout },
        tid(id),
        value,
      )
      .catch(() => {
        throw new Error(`no option "${value}" in ${id}`);
      });
    const got = await page.select(tid(id), value);
    if (!got.includes(value)) throw new Error(`could not select "${value}" in ${id}`);
  };
  // Waits until the element `id` contains `text`; answers its whole text.
  const waitText = async (id, text, timeout = 15000) => {
    await page
      .waitForFunction((s, t) => document.querySelector(s)?.textContent.includes(t), { timeout }, tid(id), text)
      .catch(async () => {
        const now = await page.$eval(tid(id), (e) => e.textContent).catch(() => '(no such element)');
        throw new Error(`${id} does not show "${text}": ${now.slice(0, 400)}`);
      });
    return page.$eval(tid(id), (e) => e.textContent);
  };
  // Like `click` and `fill`, but the element is first scrolled to the middle of the window, so
  // that the sticky top bar cannot be over it when the mouse clicks.
  const centered = async (id) => {
    const el = await page.waitForSelector(tid(id), { visible: true, timeout: 15000 });
    await el.evaluate((e) => e.scrollIntoView({ block: 'center', inline: 'nearest' }));
    return el;
  };
  const press = async (id) => (await centered(id)).click();
  const enter = async (id, text) => {
    const el = await centered(id);
    await el.click();
    await page.keyboard.down('Control');
    await page.keyboard.press('A');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await el.type(text);
  };
  const textOf = (id) => page.$eval(tid(id), (e) => e.textContent);
  // The cells of a table's body rows (the DataTable of `id`), as text.
  const rowsOf = (id) =>
    page.$$eval(`${tid(id)} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  return { choose, waitText, textOf, rowsOf, press, enter };
}

// The engine's HTTP APIs as admin (the origin of CONSOLE_URL): metadata, the query API,
// run_sql (rows as objects) and GraphQL with extra headers.
export function engineApi(consoleUrl, secret) {
  const origin = new URL(consoleUrl).origin;
  const post = async (path, body, headers = {}) => {
    const r = await fetch(origin + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': secret, ...headers },
      body: JSON.stringify(body),
    });
    const json = await r.json().catch(() => null);
    return { status: r.status, json };
  };
  // Fails with the request and the answer unless the status is 200.
  const ok = async (path, body, headers) => {
    const { status, json } = await post(path, body, headers);
    if (status !== 200) throw new Error(`${path} ${JSON.stringify(body)} answered ${status}: ${JSON.stringify(json)}`);
    return json;
  };
  const metadata = (type, args = {}) => ok('/v1/metadata', { type, args });
  const query = (type, args) => ok('/v2/query', { type, args });
  const sqlRows = async (sql) => {
    const r = await query('run_sql', { sql, read_only: true });
    const [head, ...rows] = r.result ?? [];
    return rows.map((row) => Object.fromEntries(head.map((h, i) => [h, row[i] === 'NULL' ? null : row[i]])));
  };
  const graphql = (q, headers = {}, variables) => post('/v1/graphql', { query: q, variables }, headers).then((r) => r.json);
  const exportMetadata = () => metadata('export_metadata');
  return { origin, post, metadata, query, sqlRows, graphql, exportMetadata };
}
