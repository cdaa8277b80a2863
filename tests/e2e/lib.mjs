// What the browser scripts share: where Chromium is and how it is started
// (headless, no network of its own), and filling and sending the sign-in form
// (French or English labels); the checks every page gets: axe-core clean,
// no sideways scroll on a phone.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SELFDATA_CHROMIUM || '/usr/bin/chromium';

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// On the sign-in page: types the e-mail and password, sends the form and
// waits for the page it leads to.
export async function submitSignIn(page, email, password) {
  await page.getByLabel(/^(Email address|Adresse e-mail)$/).fill(email);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click(),
  ]);
}

/** A check that failed, said in a sentence. */
export class Failure extends Error {}

export function check(cond, message) {
  if (!cond) throw new Failure(message);
}

const axeSource = readFileSync(
  join(dirname(fileURLToPath(import.meta.url)), 'node_modules/axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page (through the DevTools protocol: the pages'
 * CSP rightly refuses inline scripts); any violation fails. */
export async function axeClean(page, label) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `[${v.impact}] ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  check(found.length === 0, `axe-core on ${label}: ${found.join(' / ')}`);
  console.log(`axe ${label}: no violations`);
}

/** Fails when the page scrolls sideways on its screen. */
export async function fitsScreen(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width, `${label} is wider than the screen (${scroll}px > ${width}px)`);
}

/** A phone: 360 CSS pixels wide, touch, in `locale` (with `more` context
 * options, e.g. `{ javaScriptEnabled: false }`). */
export function phone(browser, locale, more = {}) {
  return browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale,
    ...more,
  });
}

/** An environment variable the script needs; exits (status 2) without it. */
export function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const STATIC_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png',
};

/** Serves the files of `dir` on a loopback port of its own (another origin
 * than selfdata's), `index` at `/`; resolves to the server and its origin. */
export async function serveStatic(dir, index) {
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || index;
    try {
      const body = readFileSync(join(dir, path));
      res.writeHead(200, { 'content-type': STATIC_TYPES[extname(path)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
