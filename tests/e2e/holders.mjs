// A resident's data holders in a headless Chromium (Debian's `chromium`):
// on a phone in English with JavaScript off, they connect the water service
// (their meter number and their consent), then let an energy-advice
// association read their water folder for a purpose and a number of days,
// see the transfer with its reference, and stop it; then both pages through
// axe-core, in English and French. On each page: axe-core clean (any
// violation fails), nothing wider than the screen.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_SHOTS (optional).

import { join } from 'node:path';
import { Failure, axeClean, check, fitsScreen, launch, phone, submitSignIn } from './lib.mjs';

const env = (k) => process.env[k] || '';
const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
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

async function send(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

async function run(browser) {
  // --- a phone in English, no JavaScript
  const en = await phone(browser, 'en-GB', { javaScriptEnabled: false });
  let page = await signedIn(en);
  await page.goto(`${BASE}/app/holders`);
  check((await page.locator('h1').innerText()) === 'Organisations that send you your data', 'the English title');
  const water = page.locator('section.card', { has: page.getByRole('heading', { name: 'Eau du Grand Lyon' }) });
  await water.getByLabel('Numéro de compteur').fill('M000001');
  await water.getByRole('checkbox').check();
  await send(page, water.getByRole('button', { name: 'Connect' }));
  check((await page.locator('[role=status]').innerText()).startsWith('Connected'), 'the connection is confirmed');
  check((await page.getByRole('button', { name: /^Stop Eau du Grand Lyon/ }).count()) === 1, 'the water service is connected');
  await fitsScreen(page, 'my holders (en, phone)');
  await shot(page, 'holders-en-phone');

  await send(page, page.getByRole('link', { name: /read part of your data/ }));
  await page.getByLabel('Organisation', { exact: true }).selectOption({ label: 'Conseil énergie Lyon' });
  await page.getByLabel(/\/selfdata\/energy\/water\//).check();
  await page.getByLabel('Help with my account or my bills').check();
  await page.getByLabel('For how many days').fill('30');
  await page.getByLabel(/^I agree that this organisation reads/).check();
  await send(page, page.getByRole('button', { name: 'Allow' }));
  check((await page.locator('[role=status]').innerText()).startsWith('Allowed'), 'the transfer is confirmed');
  const reference = await page.locator('li.transfer code').first().innerText();
  check(/^[0-9a-zA-Z_-]{8,}$/.test(reference), `the transfer has a reference to give (${reference})`);
  await fitsScreen(page, 'my transfers (en, phone)');
  await shot(page, 'transfers-en-phone');
  await send(page, page.getByRole('button', { name: /^Stop now/ }));
  check((await page.locator('[role=status]').innerText()).startsWith('Stopped'), 'the transfer is stopped');
  check((await page.getByRole('button', { name: /^Stop now/ }).count()) === 0, 'nothing left to stop');
  await en.close();

  // --- both pages through axe-core, in English and French
  for (const locale of ['en-GB', 'fr-FR']) {
    const ctx = await phone(browser, locale);
    page = await signedIn(ctx);
    for (const url of ['/app/holders', '/app/holders/transfers']) {
      await page.goto(`${BASE}${url}`);
      await axeClean(page, `${url} (${locale}, phone)`);
      await fitsScreen(page, `${url} (${locale}, phone)`);
    }
    if (locale === 'fr-FR') await shot(page, 'transfers-fr-phone');
    await ctx.close();
  }
}

const browser = await launch();
try {
  await run(browser);
  console.log('holders pages: ok');
} catch (e) {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
