// Studies in a headless Chromium (Debian's `chromium`): on a phone in
// English with JavaScript off, a resident opens the studies, joins an
// approved one by ticking its consent, and reads a published result drawn as
// a chart with its open data links; then the list, a study open to join, a
// published result and the researcher's proposal form through axe-core, in
// English and French. On each page: axe-core clean (any violation fails),
// nothing wider than the screen.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_RESEARCHER, SELFDATA_OPEN, SELFDATA_PUBLISHED, SELFDATA_SHOTS (optional).

import { join } from 'node:path';
import { Failure, axeClean, check, fitsScreen, launch, phone, submitSignIn } from './lib.mjs';

const env = (k) => process.env[k] || '';
const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const SHOTS = env('SELFDATA_SHOTS');
const OPEN = env('SELFDATA_OPEN');
const PUBLISHED = env('SELFDATA_PUBLISHED');

async function signedIn(context, email) {
  const page = await context.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, email, env('SELFDATA_PASSWORD'));
  return page;
}

async function shot(page, label) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
}

async function send(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

async function run(browser) {
  // --- a resident on a phone in English, no JavaScript
  const en = await phone(browser, 'en-GB', { javaScriptEnabled: false });
  let page = await signedIn(en, env('SELFDATA_EMAIL'));
  await page.goto(`${BASE}/app/studies`);
  check((await page.locator('h1').innerText()) === 'Studies', 'the English title');
  await send(page, page.getByRole('link', { name: 'Electricity in October' }));
  await page.getByLabel(/^I agree that my pod contributes/).check();
  await send(page, page.getByRole('button', { name: 'Take part' }));
  check((await page.locator('[role=status]').innerText()).startsWith('You take part'), 'joining is confirmed');
  check((await page.getByRole('button', { name: 'Leave the study' }).count()) === 1, 'the resident may leave');
  await fitsScreen(page, 'a study joined (en, phone)');
  await shot(page, 'study-joined-en-phone');
  await page.goto(`${BASE}/app/studies/${PUBLISHED}`);
  check((await page.locator('figure.chart svg').count()) === 1, 'the result is drawn');
  check((await page.getByRole('link', { name: 'CSV', exact: true }).count()) === 1, 'the open data is linked');
  await fitsScreen(page, 'a published result (en, phone)');
  await shot(page, 'study-result-en-phone');
  await en.close();

  // --- every page through axe-core, in English and French
  for (const locale of ['en-GB', 'fr-FR']) {
    const ctx = await phone(browser, locale);
    page = await signedIn(ctx, env('SELFDATA_EMAIL'));
    for (const url of ['/app/studies', `/app/studies/${OPEN}`, `/app/studies/${PUBLISHED}`, '/app/studies/compare']) {
      await page.goto(`${BASE}${url}`);
      await axeClean(page, `${url} (${locale}, phone)`);
      await fitsScreen(page, `${url} (${locale}, phone)`);
    }
    await ctx.close();
    const lab = await phone(browser, locale);
    page = await signedIn(lab, env('SELFDATA_RESEARCHER'));
    await page.goto(`${BASE}/app/studies`);
    check((await page.locator('form[action="/app/studies/propose"]').count()) === 1, 'the researcher has the proposal form');
    await axeClean(page, `the proposal form (${locale}, phone)`);
    await fitsScreen(page, `the proposal form (${locale}, phone)`);
    if (locale === 'fr-FR') await shot(page, 'studies-propose-fr-phone');
    await lab.close();
  }
}

const browser = await launch();
try {
  await run(browser);
  console.log('studies pages: ok');
} catch (e) {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
