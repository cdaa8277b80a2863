// The example app (examples/energy-app, built by the test) in a headless
// Chromium, served from an origin of its own: the resident signs in through
// it (selfdata's sign-in page and consent screen), the page shows the
// energy summary, and when another client (a script with the resident's
// client credentials, through Inrupt's Node library) posts a meter export
// to the pod's inbox, the page updates itself from a notification.
//
// Env: SELFDATA_BASE, APP_DIR (the built app's folder), EMAIL, PASSWORD,
//      WEBID, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET, ELECTRICITY_FILE,
//      SELFDATA_CHROMIUM (default /usr/bin/chromium).

import { readFileSync } from 'node:fs';
import { Session } from '@inrupt/solid-client-authn-node';
import { check, env, launch, serveStatic, submitSignIn } from './lib.mjs';


const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const APP_DIR = env('APP_DIR');
const POD = new URL('../', env('WEBID').split('#')[0]).href;

// The app's own origin: a static server for its two files.
const { server, origin } = await serveStatic(APP_DIR, 'index.html');
const APP = `${origin}/`;

const browser = await launch();
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(APP);
  await page.getByLabel('Your selfdata server').fill(BASE);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(BASE), { timeout: 20000 }),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState('load');
  if (new URL(page.url()).pathname.startsWith('/account/login')) {
    await submitSignIn(page, env('EMAIL'), env('PASSWORD'));
  }
  check(new URL(page.url()).pathname === '/idp/authorize', `the consent screen, not ${page.url()}`);
  check((await page.locator('main').innerText()).includes('Energy at a glance'), 'the consent screen names the app');
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(APP), { timeout: 20000 }),
    page.getByRole('button', { name: /^(Allow|Autoriser)$/ }).click(),
  ]);
  await page.waitForSelector('body[data-following="yes"]', { timeout: 20000 });
  check((await page.locator('#webid').innerText()) === env('WEBID'), 'signed in as the resident');
  check((await page.locator('#readings').innerText()) === '0', 'no readings yet');
  console.log('signed in through the app; it follows the electricity folder');

  // Another client changes the pod: a meter export posted to the inbox.
  const other = new Session();
  await other.login({
    clientId: env('OTHER_CLIENT_ID'),
    clientSecret: env('OTHER_CLIENT_SECRET'),
    oidcIssuer: BASE,
  });
  const posted = await other.fetch(`${POD}inbox/`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: readFileSync(env('ELECTRICITY_FILE')),
  });
  check(posted.ok, `the other client's post: ${posted.status} ${await posted.text()}`);
  await other.logout();
  console.log('another client posted a meter export');

  await page.waitForFunction(() => Number(document.querySelector('#updates').textContent) > 0
    && Number(document.querySelector('#readings').textContent) > 0, null, { timeout: 20000 });
  const kwh = await page.locator('#kwh').innerText();
  check(/^[0-9]+\.[0-9]$/.test(kwh), `this month's kWh shown: ${kwh}`);
  check(errors.length === 0, `no script error: ${errors.join(' / ')}`);
  console.log(`the page updated itself from a notification: ${kwh} kWh this month`);
} finally {
  await browser.close();
  server.close();
}
