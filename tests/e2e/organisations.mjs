// "Who has what on me" in a headless Chromium (Debian's `chromium`): the
// directory of organisations after two archives were imported, on a phone
// in English with JavaScript off (the search form works as plain HTML, each
// organisation's evidence opens in its <details>), then through axe-core
// (the directory, its search, its sections by sector, one organisation's
// page with its merge and split forms, the privacy page), then on a phone
// in French. On each page: axe-core clean (any violation
// fails), nothing wider than the screen, each organisation a heading.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_FIND (a name to search), SELFDATA_SHOTS (optional).

import { join } from 'node:path';
import { Failure, axeClean, check, fitsScreen, launch, phone, submitSignIn } from './lib.mjs';

const env = (k) => process.env[k] || '';
const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const FIND = env('SELFDATA_FIND');
const SHOTS = env('SELFDATA_SHOTS');

async function signedIn(context) {
  const page = await context.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, env('SELFDATA_EMAIL'), env('SELFDATA_PASSWORD'));
  return page;
}

async function shot(page, label) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
}

async function run(browser) {
  // --- a phone in English, no JavaScript
  const en = await phone(browser, 'en-GB', { javaScriptEnabled: false });
  let page = await signedIn(en);
  await page.goto(`${BASE}/app/privacy/organisations`);
  check((await page.locator('h1').innerText()) === 'Organisations that hold data on you', 'the English title');
  const all = await page.locator('section.organisation h2').count();
  check(all > 5, `the directory lists the organisations (${all})`);
  await fitsScreen(page, 'the directory (en, phone)');
  const first = page.locator('section.organisation').first();
  await first.locator('summary').click();
  check(await first.locator('details').evaluate((d) => d.open), 'the evidence opens without script');
  check((await first.locator('details li').count()) > 0, 'the evidence is listed');
  await shot(page, 'directory-en-phone');
  // The search form, sent as plain HTML.
  await page.getByLabel('Find an organisation').fill(FIND);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Search' }).click(),
  ]);
  const names = await page.locator('section.organisation h2').allInnerTexts();
  check(names.length >= 1 && names.length < all, `the search narrows the list (${names.length} of ${all})`);
  const plain = (t) => t.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  check(names.some((n) => plain(n).includes(plain(FIND))), `"${FIND}" is found, accents aside: ${names}`);
  check((await page.locator('#total').innerText()).includes(`of ${all}`), 'the count says how many of all');
  await fitsScreen(page, 'the search (en, phone)');
  await en.close();

  // --- the same pages through axe-core
  const axe = await phone(browser, 'en-GB');
  page = await signedIn(axe);
  await page.goto(`${BASE}/app/privacy/organisations`);
  // One organisation's page: its evidence, its letters, and the forms that
  // merge it with another entry or take a name apart.
  const one = await page.locator('section.organisation h2 a').first().getAttribute('href');
  for (const url of [
    '/app/privacy/organisations',
    `/app/privacy/organisations?q=${encodeURIComponent(FIND)}`,
    '/app/privacy/organisations?by=sector',
    one,
    '/app/privacy',
  ]) {
    await page.goto(new URL(url, `${BASE}/`).href);
    await axeClean(page, `${url} (en, phone)`);
  }
  await page.goto(new URL(one, `${BASE}/`).href);
  check((await page.locator('select[name="into"]').count()) === 1, 'the organisation page offers to merge it with another entry');
  await axe.close();

  // --- a phone in French
  const fr = await phone(browser, 'fr-FR');
  page = await signedIn(fr);
  await page.goto(`${BASE}/app/privacy/organisations`);
  check((await page.locator('h1').innerText()) === 'Les organismes qui détiennent des données sur vous', 'the French title');
  await fitsScreen(page, 'the directory (fr, phone)');
  await axeClean(page, 'the directory (fr, phone)');
  await shot(page, 'directory-fr-phone');
  await fr.close();
}

const browser = await launch();
try {
  await run(browser);
} catch (e) {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
