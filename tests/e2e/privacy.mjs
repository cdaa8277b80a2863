// "Who has what on me?" in a headless Chromium (Debian's `chromium`): the
// resident signs in through the login form, opens /app/privacy (an app she
// allowed is listed), opens the app's consent record, the rights-against-
// holders page and a letter, opens an organisation of the directory (from
// a Facebook archive the Rust test imported), writes an article 21
// objection to it and records it sent, then revokes the app with its button
// and sees it gone. Every page state is checked with axe-core (any violation
// fails), for sideways scrolling on a phone and for console errors; the
// French page on a desktop too. Screenshots go to SELFDATA_SHOTS.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM (default /usr/bin/chromium),
//      SELFDATA_SHOTS, SELFDATA_EMAIL, SELFDATA_PASSWORD, SELFDATA_APP (the
//      app's name). The Rust test (crates/selfdata/tests/e2e_privacy.rs)
//      then checks that the app's token is refused.

import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launch, submitSignIn } from './lib.mjs';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const SHOTS = process.env.SELFDATA_SHOTS || '.';
const EMAIL = process.env.SELFDATA_EMAIL;
const PASSWORD = process.env.SELFDATA_PASSWORD;
const APP = process.env.SELFDATA_APP || 'Budget Helper';
const HERE = fileURLToPath(new URL('.', import.meta.url));
const axeSource = readFileSync(join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}
const log = (...a) => console.log(...a);

async function axe(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  });
  for (const v of result) {
    log(`  axe ${label}: [${v.impact}] ${v.id}: ${v.help}`);
    for (const n of v.nodes.slice(0, 5)) log(`      ${n.replace(/\n/g, ' / ')}`);
  }
  check(result.length === 0, `axe-core found ${result.length} violation(s) on ${label}: ${result.map((v) => v.id).join(', ')}`);
}

async function checkPage(page, label, lang = 'en') {
  const l = await page.getAttribute('html', 'lang');
  check(l === lang, `${label} should say lang="${lang}" (it says ${l})`);
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width, `${label} is wider than the screen (${scroll}px > ${width}px)`);
  await axe(page, label);
  await page.screenshot({ path: join(SHOTS, `privacy-${label.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
}

function watch(page, problems) {
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

async function follow(page, action) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

// A radio button and its label on one line: the label to the right of a
// small button, both centred on the same line.
async function radioBesideItsLabel(page, id, label) {
  const r = await page.locator(`#${id}`).boundingBox();
  const l = await page.locator(`label[for="${id}"]`).boundingBox();
  check(r && l, `${label}: the radio button #${id} and its label are shown`);
  check(r.width < 40, `${label}: the radio button #${id} is ${r.width}px wide, drawn like a text field`);
  const middle = (b) => b.y + b.height / 2;
  check(l.x >= r.x + r.width && Math.abs(middle(r) - middle(l)) < 12,
    `${label}: the label of #${id} should be on the button's line, to its right (button ${JSON.stringify(r)}, label ${JSON.stringify(l)})`);
}

const pathOf = (page) => new URL(page.url()).pathname;

async function signIn(page) {
  await page.goto(`${BASE}/app/privacy`);
  check(pathOf(page) === '/account/login', `signed out, /app/privacy should lead to the sign-in page, not ${page.url()}`);
  await submitSignIn(page, EMAIL, PASSWORD);
  check(pathOf(page) === '/app/privacy', `after signing in the browser should be back on /app/privacy, not ${page.url()}`);
}

async function run(browser) {
  const problems = [];
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

  // French, on a desktop, first (the app is still there).
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
  const d = await desk.newPage();
  watch(d, problems);
  await signIn(d);
  check((await d.locator('h1').innerText()).startsWith('Qui a quoi sur moi'), 'the French page is titled "Qui a quoi sur moi ?"');
  await checkPage(d, 'privacy (fr, desktop)', 'fr');
  await desk.close();

  const ctx = await browser.newContext({ ...phone, locale: 'en-GB' });
  const page = await ctx.newPage();
  watch(page, problems);
  await signIn(page);
  check((await page.locator('h1').innerText()) === 'Who has what on me?', 'the page is titled "Who has what on me?"');
  const nav = page.getByRole('navigation');
  check((await nav.locator('a[aria-current="page"]').innerText()) === 'Who has what on me?', 'the menu marks the page');
  const apps = page.locator('#apps li.app-access');
  check((await apps.count()) === 1, 'one app has access');
  check((await apps.first().innerText()).includes(APP), `the app listed is ${APP}`);
  await radioBesideItsLabel(page, 'share-read', 'share with a person (phone)');
  await radioBesideItsLabel(page, 'share-write', 'share with a person (phone)');
  // The access log on a phone: the app by its name, whole words in the cells.
  const logRow = page.locator('table.log tbody tr').first();
  check((await logRow.innerText()).includes(APP), `the access log names the app ${APP}`);
  const lines = await logRow.locator('td').last().evaluate((td) => {
    const r = document.createRange();
    r.selectNodeContents(td);
    return r.getClientRects().length;
  });
  check(lines === 1, `the access log's outcome is on one line on a phone, not split letter by letter (${lines} lines)`);
  await checkPage(page, 'privacy (en, phone)');

  // The app's consent record.
  await follow(page, () => apps.first().getByRole('link', { name: /^View/ }).click());
  check(pathOf(page).startsWith('/app/privacy/consents/app-'), `the record page, not ${page.url()}`);
  const record = await page.locator('main').innerText();
  check(record.includes(APP) && record.includes('your consent') && !record.includes('w3id.org'), 'the record names the app and its legal basis in words, not as a DPV IRI');
  check(record.includes('given'), 'consent is given');
  await checkPage(page, 'consent record (en, phone)');
  await follow(page, () => page.getByRole('link', { name: /^Back to/ }).click());

  // Rights against holders, with a letter.
  await page.goto(`${BASE}/app/privacy/requests`);
  await checkPage(page, 'requests (en, phone)');
  await radioBesideItsLabel(page, 'rq-15', 'rights requests (phone)');
  await radioBesideItsLabel(page, 'rq-20', 'rights requests (phone)');
  await page.getByLabel('Holder', { exact: true }).selectOption({ label: 'Enedis' });
  await page.getByLabel('My name').fill('Carol Martin');
  await follow(page, () => page.getByRole('button', { name: 'Write the letter' }).click());
  const letter = await page.locator('#rq-letter').inputValue();
  check(letter.includes('Carol Martin') && letter.includes('Enedis'), 'the letter names the resident and the holder');
  await checkPage(page, 'request letter (en, phone)');

  // An organisation from the archive: its page, an objection, recorded sent.
  await page.goto(`${BASE}/app/privacy/organisations`);
  await checkPage(page, 'organisations (en, phone)');
  await follow(page, () => page.getByRole('link', { name: 'Crédit Agricole', exact: true }).click());
  check(pathOf(page).startsWith('/app/privacy/organisations/'), `the organisation's page, not ${page.url()}`);
  check((await page.locator('h1').innerText()) === 'Crédit Agricole', 'the page is titled with the organisation');
  check((await page.locator('#evidence').innerText()).includes('uploaded a list with your details to Facebook'), 'the evidence, in words');
  await checkPage(page, 'organisation (en, phone)');
  await radioBesideItsLabel(page, 'art-21', 'organisation letter (phone)');
  await page.locator('#art-21').check();
  await page.getByLabel('My name').fill('Carol Martin');
  await follow(page, () => page.getByRole('button', { name: 'Write the letter' }).click());
  const objection = await page.locator('#rq-letter').inputValue();
  check(objection.includes('Crédit Agricole') && objection.includes('Article 21(2)'), 'the objection names the organisation and article 21(2)');
  await checkPage(page, 'objection letter (en, phone)');
  await follow(page, () => page.getByRole('button', { name: 'Record the date sent' }).click());
  check(pathOf(page).startsWith('/app/privacy/organisations/'), `recorded, back on the organisation's page, not ${page.url()}`);
  check((await page.locator('#status').innerText()).includes('answer due by'), "the organisation's page shows the deadline");
  await checkPage(page, 'organisation asked (en, phone)');

  // Revoke the app in one click.
  await page.goto(`${BASE}/app/privacy`);
  await follow(page, () => page.locator('#apps').getByRole('button', { name: new RegExp(`^Revoke`) }).click());
  const status = await page.getByRole('status').first().innerText();
  check(status.includes(`${APP} no longer has access`), `the page confirms the revocation (it says "${status}")`);
  check((await page.locator('#apps li.app-access').count()) === 0, 'no app is listed any more');
  check((await page.locator('#consents').innerText()).includes('withdrawn'), 'the consent record says withdrawn');
  await checkPage(page, 'privacy after revoking (en, phone)');

  check(problems.length === 0, `the pages reported problems: ${problems.join('; ')}`);
}

async function main() {
  check(BASE.startsWith('http'), 'set SELFDATA_BASE');
  check(EMAIL && PASSWORD, 'set SELFDATA_EMAIL and SELFDATA_PASSWORD');
  check(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's chromium package`);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await launch();
  try {
    await run(browser);
  } finally {
    await browser.close();
  }
  log('privacy browser test: all ok');
}

main().catch((e) => {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exit(1);
});
