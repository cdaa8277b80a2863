// The SolidOS data browser (npm `mashlib`: its `browse.html`), served from
// an origin of its own, in a headless Chromium against selfdata: the
// resident signs in through it (dynamic registration, selfdata's sign-in
// page and consent screen, DPoP-bound tokens), browses the pod's root
// folder, and makes a new folder (an empty PUT to the folder's address,
// without a Content-Type, which selfdata answers 201).
//
// `browse.html` 2.3.3 does not finish a sign-in by itself when the identity
// provider sends the browser back: the data browser's own start-up
// (`panes.runDataBrowser`, used by its `databrowser.html`) calls
// `SolidLogic.authn.checkUser()`, so this script does the same once back.
//
// Env: SELFDATA_BASE, EMAIL, PASSWORD, WEBID, SELFDATA_CHROMIUM.

import { fileURLToPath } from 'node:url';
import { check, env, launch, serveStatic, submitSignIn } from './lib.mjs';


const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const POD = new URL('../', env('WEBID').split('#')[0]).href;
const DIST = fileURLToPath(new URL('node_modules/mashlib/dist/', import.meta.url));

const { server, origin } = await serveStatic(DIST, 'browse.html');
const APP = `${origin}/browse.html`;

const browser = await launch();
try {
  const page = await browser.newPage();
  const refused = [];
  page.on('response', (r) => {
    if (r.url().startsWith(POD) && r.request().method() !== 'GET' && r.status() >= 400) {
      refused.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
    }
  });
  await page.goto(`${APP}?uri=${encodeURIComponent(POD)}`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByPlaceholder('https://example.com').fill(BASE);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(BASE), { timeout: 20000 }),
    page.locator('button', { hasText: /^Go$/ }).click(),
  ]);
  await page.waitForLoadState('load');
  if (new URL(page.url()).pathname.startsWith('/account/login')) {
    await submitSignIn(page, env('EMAIL'), env('PASSWORD'));
  }
  check(new URL(page.url()).pathname === '/idp/authorize', `the consent screen, not ${page.url()}`);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(APP), { timeout: 20000 }),
    page.getByRole('button', { name: /^(Allow|Autoriser)$/ }).click(),
  ]);
  await page.waitForFunction(() => typeof SolidLogic !== 'undefined', null, { timeout: 20000 });
  const me = await page.evaluate(async () => String(await SolidLogic.authn.checkUser()));
  check(me === `<${env('WEBID')}>`, `signed in as the resident, not ${me}`);
  console.log(`signed in through SolidOS as ${me}`);

  // The folder was first asked for anonymously (401): ask again, signed in.
  const retry = page.locator('img[title="Failed to load. Click to retry."]').first();
  await retry.waitFor({ timeout: 20000 });
  await retry.click();
  await page.waitForFunction(() => document.querySelector('#OutlineView').innerText.includes('inbox'), null, { timeout: 20000 });
  const listing = await page.locator('#OutlineView').innerText();
  for (const name of ['inbox', 'profile', 'selfdata']) check(listing.includes(name), `the root lists ${name}: ${listing}`);
  console.log('the pod root is listed');

  // Make a new folder: the + , "Make new folder", a name, Continue.
  await page.locator('img[title="Add another tool"]').click();
  await page.locator('img[title="Make new folder @@"]').click();
  await page.locator('input[type=text][size="100"]').fill('recipes');
  const [made] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${POD}recipes/` && r.request().method() === 'PUT', { timeout: 20000 }),
    page.locator('img[title="Continue"]').click(),
  ]);
  check(made.status() === 201, `the new folder's PUT: ${made.status()}`);
  await page.waitForFunction(() => document.querySelector('#OutlineView').innerText.includes('recipes'), null, { timeout: 20000 });
  console.log('a new folder was made and is listed');
  check(refused.length === 0, `no write refused: ${refused.join(' / ')}`);
} finally {
  await browser.close();
  server.close();
}
