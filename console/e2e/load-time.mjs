// Console first-load time: each run a fresh browser profile (nothing cached), timed from
// navigation until the page is usable (its main control rendered). Prints the median and the
// bytes transferred. Usage: node load-time.mjs <console URL> [runs]
import puppeteer from 'puppeteer-core';

const base = process.argv[2];
const runs = Number(process.argv[3] || 10);
if (!base) throw new Error('usage: node load-time.mjs http://127.0.0.1:8080/console [runs]');
const pages = [
  ['data schema page', '/data/default/schema/public', '[data-testid="schema-page"]'],
  ['API explorer (GraphiQL)', '/api/api-explorer', '.graphiql-execute-button'],
];
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, path, ready] of pages) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let transferred = 0;
    cdp.on('Network.loadingFinished', (e) => (transferred += e.encodedDataLength));
    const t0 = performance.now();
    await page.goto(base + path);
    await page.waitForSelector(ready, { visible: true, timeout: 30000 });
    times.push(performance.now() - t0);
    bytes = transferred;
    await ctx.close();
  }
  console.log(`${name}: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms over ${runs} cold loads; ${(bytes / 1024).toFixed(0)} KiB transferred`);
}
await browser.close();
