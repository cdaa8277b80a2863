// The operator's console in a headless Chromium (Debian's `chromium`): an
// operator signs in with their second factor, opens the console and the
// data holders' registry on a phone in English, registers a holder through
// the form (JavaScript off: plain HTML), reads its credentials once, finds
// a resident and gives their pod a quota, reads the audit log, then
// the same pages through axe-core and in French. On each page: axe-core
// clean (any violation fails), nothing wider than the screen.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_TOTP (the account's base32 TOTP secret), SELFDATA_SHOTS (optional).

import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { Failure, axeClean, check, fitsScreen, launch, phone } from './lib.mjs';

const env = (k) => process.env[k] || '';
const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const SHOTS = env('SELFDATA_SHOTS');

// RFC 6238 with SHA-1, 6 digits, 30 s: what an authenticator app shows now.
function totp(base32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(at) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

async function signedIn(context) {
  const page = await context.newPage();
  await page.goto(`${BASE}/account/login?return_to=%2Fapp%2Foperator`);
  await page.getByLabel(/^(Email address|Adresse e-mail)$/).fill(env('SELFDATA_EMAIL'));
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(env('SELFDATA_PASSWORD'));
  await page.locator('#totp').fill(totp(env('SELFDATA_TOTP')));
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click(),
  ]);
  return page;
}

async function shot(page, label) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, '-')}.png`), fullPage: true });
}

async function run(browser) {
  // --- a phone in English, no JavaScript
  const en = await phone(browser, 'en-GB', { javaScriptEnabled: false });
  let page = await signedIn(en);
  check(new URL(page.url()).pathname === '/app/operator', `signed in, the console opens (${page.url()})`);
  check((await page.locator('h1').innerText()) === "Operator's console", 'the console is titled');
  await fitsScreen(page, 'the console (en, phone)');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('link', { name: 'Data holders' }).click(),
  ]);
  check((await page.locator('h1').innerText()) === 'Data holders', 'the registry is titled');
  await page.getByLabel('Id (also its client id)').fill('eau-grand-lyon');
  await page.getByLabel('Name, as residents know it').fill('Eau du Grand Lyon');
  await page.getByLabel(/^Data protection contact/).fill('dpo@eau.example');
  await page.getByLabel('water').check();
  await page.getByLabel('How it knows residents').fill('Numéro de compteur');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Register' }).click(),
  ]);
  const secret = await page.locator('#client-secret').innerText();
  check(/^[0-9a-f]{48}$/.test(secret), `the secret is shown once (${secret.length} characters)`);
  await fitsScreen(page, 'the credentials (en, phone)');
  await shot(page, 'operator-secret-en-phone');
  await page.goto(`${BASE}/app/operator/holders`);
  check((await page.content()).indexOf(secret) < 0, 'the secret is not shown again');
  check((await page.locator('section.card h3').count()) === 1, 'the registry lists the holder');
  await fitsScreen(page, 'the registry (en, phone)');
  await shot(page, 'operator-holders-en-phone');

  // The help desk: find the resident, give their pod a quota of its own.
  await page.goto(`${BASE}/app/operator`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('link', { name: 'Residents and pods' }).click(),
  ]);
  await page.getByLabel('E-mail address, or part of it').fill('OPS@');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Search' }).click(),
  ]);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('link', { name: env('SELFDATA_EMAIL') }).click(),
  ]);
  await page.getByLabel('Quota of ops, in MiB').fill('250');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'Set the quota' }).click(),
  ]);
  const body = await page.locator('main').innerText();
  check(body.includes('of 250 MiB'), 'the new quota is shown');
  check(body.includes('Quota of the pod ops set to 250 MiB'), 'the action is listed on the page');
  check((await page.locator('meter').count()) === 1, 'the usage is drawn');
  await fitsScreen(page, 'a resident (en, phone)');
  await shot(page, 'operator-resident-en-phone');
  await page.goto(`${BASE}/app/operator/audit`);
  check((await page.locator('#audit tbody tr').count()) >= 2, 'the audit log lists the holder and the quota');
  await page.goto(`${BASE}/app/operator/health`);
  check((await page.locator('#readiness').innerText()).startsWith('Ready'), 'the server says it is ready');
  await fitsScreen(page, 'the health page (en, phone)');
  await shot(page, 'operator-health-en-phone');
  await en.close();

  // --- the same pages through axe-core, and in French
  for (const locale of ['en-GB', 'fr-FR']) {
    const ctx = await phone(browser, locale);
    page = await signedIn(ctx);
    for (const url of ['/app/operator', '/app/operator/apps', '/app/operator/holders',
      '/app/operator/residents?q=ops', '/app/operator/audit', '/app/operator/health', '/account']) {
      await page.goto(`${BASE}${url}`);
      await axeClean(page, `${url} (${locale}, phone)`);
      await fitsScreen(page, `${url} (${locale}, phone)`);
    }
    await page.goto(`${BASE}/app/operator/residents?q=ops`);
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.locator('#residents a').first().click(),
    ]);
    await axeClean(page, `a resident (${locale}, phone)`);
    await fitsScreen(page, `a resident (${locale}, phone)`);
    if (locale === 'fr-FR') {
      await page.goto(`${BASE}/app/operator/holders`);
      check((await page.locator('h1').innerText()) === 'Organismes détenteurs de données', 'the French title');
      await shot(page, 'operator-holders-fr-phone');
    }
    await ctx.close();
  }
}

const browser = await launch();
try {
  await run(browser);
  console.log('operator console: ok');
} catch (e) {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
