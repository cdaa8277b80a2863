// Two attacks of the adversarial review (issue 9), replayed in a headless
// Chromium (Debian's `chromium`) against a real server, by a resident who is
// signed in:
//  1. A page stored in another resident's pod (HTML, then SVG) tries to read
//     the victim's account page with her cookie and hand it to its author.
//     Pod content must never run with the pages' origin.
//  2. A page on another origin (another loopback port: same site, so the
//     session cookie is sent) tries to read /account with credentials.
//     CORS must never share the cookie-authenticated pages.
// Each attack reports in `document.title`; the Rust test
// (crates/selfdata/tests/e2e_attacks.rs) then checks that nothing reached
// the attacker's inbox.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_TRAPS (space-separated URLs of the stored pages).

import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { CHROMIUM, launch, submitSignIn } from './lib.mjs';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const EMAIL = process.env.SELFDATA_EMAIL;
const PASSWORD = process.env.SELFDATA_PASSWORD;
const TRAPS = (process.env.SELFDATA_TRAPS || '').split(' ').filter(Boolean);

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}
const log = (...a) => console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function signIn(page) {
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, EMAIL, PASSWORD);
  check(new URL(page.url()).pathname === '/', `signed in, the browser is on the home page (not ${page.url()})`);
  await page.goto(`${BASE}/account`, { waitUntil: 'load' });
  check((await page.content()).includes(EMAIL), 'the account page names the resident');
}

// 1. Stored pages.
async function storedPages(ctx) {
  for (const url of TRAPS) {
    const page = await ctx.newPage();
    let downloaded = false;
    page.on('download', () => { downloaded = true; });
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 10000 });
    } catch (e) {
      // "Download is starting": the browser saves the file instead of showing it.
      check(/download/i.test(String(e)), `opening ${url} failed unexpectedly: ${e}`);
      downloaded = true;
    }
    await sleep(1500);
    let title = '';
    try { title = await page.title(); } catch { /* a download leaves no document */ }
    log(`stored page ${url}: downloaded=${downloaded} title="${title}"`);
    check(!title.startsWith('read:'), `the page stored in a pod read the account page (${title})`);
    await page.close();
  }
}

// 2. Another origin on the same site.
async function otherOrigin(ctx) {
  const html = `<!doctype html><title>waiting</title><script>
    fetch(${JSON.stringify(BASE + '/account')}, { credentials: 'include' })
      .then((r) => r.text())
      .then((t) => { document.title = t.includes(${JSON.stringify(EMAIL)}) ? 'read:account' : 'read:other'; })
      .catch(() => { document.title = 'blocked'; });
  </script>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(html);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const evil = `http://127.0.0.1:${server.address().port}/`;
  try {
    const page = await ctx.newPage();
    await page.goto(evil);
    await page.waitForFunction(() => document.title !== 'waiting', null, { timeout: 10000 });
    const title = await page.title();
    log(`page on ${evil}: ${title}`);
    check(title === 'blocked', `a page on another origin read /account with the resident's cookie (${title})`);
  } finally {
    server.close();
  }
}

async function main() {
  check(BASE.startsWith('http'), 'set SELFDATA_BASE');
  check(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's chromium package`);
  const browser = await launch();
  try {
    const ctx = await browser.newContext({ acceptDownloads: true });
    const page = await ctx.newPage();
    await signIn(page);
    await storedPages(ctx);
    await otherOrigin(ctx);
  } finally {
    await browser.close();
  }
  log('attacks browser test: all refused');
}

main().catch((e) => {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exit(1);
});
