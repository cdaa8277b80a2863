// The money pages on a phone, in a headless Chromium (Debian's `chromium`),
// in French: a 360-pixel-wide screen signs in, then on each page checks
// axe-core (any violation fails), that nothing scrolls sideways, and that
// the figure drawn is the API's (handed in as the page writes it):
// - /app/budget: the first account's balance is SELFDATA_BALANCE;
// - /app/budget/spending?year=SELFDATA_YEAR: the year's spending is
//   SELFDATA_SPENT, a bar per month drawn;
// - /app/budget/housing?year=SELFDATA_YEAR: the year's housing cost is
//   SELFDATA_HOUSING;
// - /app/budget/transactions: opens the first transaction's "why", puts it
//   in "Restaurants" for this transaction only, and comes back with a
//   notice and the new category, still clean for axe-core.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_BALANCE, SELFDATA_YEAR, SELFDATA_SPENT, SELFDATA_HOUSING.

import { Failure, axeClean, check, fitsScreen, launch, phone, submitSignIn } from './lib.mjs';

const env = (k) => process.env[k] || '';
const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const YEAR = env('SELFDATA_YEAR');

async function visit(page, path, label) {
  const r = await page.goto(`${BASE}${path}`);
  check(r.status() === 200, `${path} answered ${r.status()}`);
  await axeClean(page, `${label} (fr, phone)`);
  await fitsScreen(page, label);
}

async function text(page, selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

async function run(browser) {
  const ctx = await phone(browser, 'fr-FR');
  const page = await ctx.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, env('SELFDATA_EMAIL'), env('SELFDATA_PASSWORD'));

  await visit(page, '/app/budget', 'the money page');
  const balance = await text(page, '[data-balance]');
  check(balance === env('SELFDATA_BALANCE'), `balance ${balance} on the page, ${env('SELFDATA_BALANCE')} in the API`);

  await visit(page, `/app/budget/spending?year=${YEAR}`, 'the spending page');
  const spent = await text(page, '[data-spent]');
  check(spent === env('SELFDATA_SPENT'), `spent ${spent} on the page, ${env('SELFDATA_SPENT')} in the API`);
  check((await page.locator('svg.chart .bar').count()) >= 12, 'a bar per month');

  await visit(page, `/app/budget/housing?year=${YEAR}`, 'the housing page');
  const housing = await text(page, '[data-total]');
  check(housing === env('SELFDATA_HOUSING'), `housing ${housing} on the page, ${env('SELFDATA_HOUSING')} in the API`);

  await visit(page, `/app/budget/transactions?from=${YEAR}-03-01&to=${YEAR}-04-01`, 'the transactions page');
  const first = page.locator('li.tx').first();
  await first.locator('summary').click();
  await first.getByLabel('Nouvelle catégorie').selectOption('alimentation/restaurants');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    first.getByRole('button', { name: 'Seulement cette opération' }).click(),
  ]);
  const notice = await page.getByRole('status').first().innerText();
  check(notice.includes('Catégorie enregistrée'), `a notice tells what was done: ${notice}`);
  check((await page.locator('li.tx').first().locator('.category').innerText()).includes('Restaurants'),
    'the first transaction is now in Restaurants');
  await axeClean(page, 'the transactions page after a correction (fr, phone)');
  await fitsScreen(page, 'the transactions page after a correction');
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
