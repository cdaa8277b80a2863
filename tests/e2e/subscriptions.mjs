// The subscriptions page on a phone, in a headless Chromium (Debian's
// `chromium`), in French: a 360-pixel-wide screen signs in through the login
// form, opens /app/budget/subscriptions, finds SELFDATA_PAYEE with the yearly
// cost SELFDATA_YEARLY (the API's figure, as the page writes it in French),
// checks the page with axe-core (any violation fails) and that it does not
// scroll sideways, then presses the payee's "Ce n'en est pas un" button
// (found by its accessible name, which names the payee): the page comes back
// with a notice, without the payee's row, still clean for axe-core.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM (default /usr/bin/chromium),
//      SELFDATA_EMAIL, SELFDATA_PASSWORD, SELFDATA_PAYEE, SELFDATA_YEARLY.
// Exit status 0 on success; otherwise a message says what went wrong.

import { Failure, axeClean as axe, check, fitsScreen, launch, phone, submitSignIn } from './lib.mjs';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const EMAIL = process.env.SELFDATA_EMAIL;
const PASSWORD = process.env.SELFDATA_PASSWORD;
const PAYEE = process.env.SELFDATA_PAYEE;
const YEARLY = process.env.SELFDATA_YEARLY;

async function run(browser) {
  const ctx = await phone(browser, 'fr-FR');
  const page = await ctx.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, EMAIL, PASSWORD);
  await page.goto(`${BASE}/app/budget`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('a[href="/app/budget/subscriptions"]').click(),
  ]);
  check(new URL(page.url()).pathname === '/app/budget/subscriptions', 'the budget page links to the subscriptions');
  const row = page.locator('tbody tr', { has: page.getByRole('rowheader', { name: new RegExp(PAYEE) }) });
  check((await row.count()) === 1, `one row for ${PAYEE}`);
  const yearly = (await row.locator('[data-yearly]').innerText()).trim();
  check(yearly === YEARLY, `${PAYEE} costs ${yearly} a year on the page, ${YEARLY} in the API`);
  await axe(page, 'subscriptions (fr, phone)');
  await fitsScreen(page, 'the subscriptions page');

  const dismiss = page.getByRole('button', { name: `Ce n’en est pas un – ${PAYEE}` });
  check((await dismiss.count()) === 1, `a button names ${PAYEE} for screen readers`);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), dismiss.click()]);
  const notice = await page.getByRole('status').innerText();
  check(notice.includes(PAYEE), `a notice tells what was done: ${notice}`);
  check((await row.count()) === 0, `${PAYEE} left the list`);
  await axe(page, 'subscriptions after a dismissal (fr, phone)');
  await fitsScreen(page, 'the subscriptions page after a dismissal');
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
