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
