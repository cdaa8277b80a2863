// A resident in a headless Chromium (Debian's `chromium`, never a
// downloaded browser), on a phone-sized screen: signs up, signs out, signs
// in, authorizes an app through the consent screen, sees the app on the
// account page and revokes it. Every page is checked with axe-core (any
// serious or critical violation fails), for horizontal overflow on the
// phone screen, and for console errors (a CSP refusal shows up there).
//
// The app is served by this script: a Client ID Document and a /callback
// page on another loopback port. The app's side of the token exchange
// (PKCE, DPoP proofs) is done here in Node, as a real app's back end would.
//
// Env: SELFDATA_BASE (the server, e.g. http://127.0.0.1:8080),
//      SELFDATA_CHROMIUM (default /usr/bin/chromium).
// Exit status 0 on success; otherwise a message says what went wrong.

import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launch } from './lib.mjs';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const HERE = fileURLToPath(new URL('.', import.meta.url));
const AXE_PATH = join(HERE, 'node_modules/axe-core/axe.min.js');

const EMAIL = 'resident@example.org';
const PASSWORD = 'correct horse battery';
const POD = 'alice';
const APP_NAME = 'Test Energy App';

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}
const log = (...a) => console.log(...a);

// ------------------------------------------------------------------ the app

function startApp() {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url, `http://${req.headers.host}`);
      const base = `http://127.0.0.1:${server.address().port}`;
      if (url.pathname === '/id') {
        res.writeHead(200, { 'content-type': 'application/ld+json' });
        res.end(JSON.stringify({
          '@context': 'https://www.w3.org/ns/solid/oidc-context.jsonld',
          client_id: `${base}/id`,
          client_name: APP_NAME,
          redirect_uris: [`${base}/callback`],
          // Over http: the consent page's CSP allows only https (and data:)
          // images, so the server must leave it out rather than have it refused.
          logo_uri: `${base}/logo.svg`,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          scope: 'openid webid offline_access',
          token_endpoint_auth_method: 'none',
        }));
      } else if (url.pathname === '/callback') {
        const rows = [...url.searchParams]
          .map(([k, v]) => `<li><code>${escapeHtml(k)}</code> = <code>${escapeHtml(v)}</code></li>`)
          .join('');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html lang="en"><title>Back in ${APP_NAME}</title><h1>Callback</h1><ul>${rows}</ul></html>`);
      } else if (url.pathname === '/logo.svg') {
        res.writeHead(200, { 'content-type': 'image/svg+xml' });
        res.end('<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48"><circle cx="24" cy="24" r="20" fill="#2a7"/></svg>');
      } else if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1', () => {
      const base = `http://127.0.0.1:${server.address().port}`;
      resolve({ server, base, clientId: `${base}/id`, redirectUri: `${base}/callback` });
    });
  });
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// ------------------------------------------------------------------ PKCE and DPoP

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

function dpopKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty, crv, x, y } };
}

function dpopProof(key, htm, htu, accessToken) {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk };
  const claims = { htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID() };
  if (accessToken) claims.ath = b64url(createHash('sha256').update(accessToken).digest());
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

function jwtClaims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

async function readPod(key, accessToken) {
  const url = `${BASE}/${POD}/`;
  const r = await fetch(url, {
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: dpopProof(key, 'GET', url, accessToken),
      accept: 'text/turtle',
    },
  });
  return { status: r.status, body: await r.text() };
}

// ------------------------------------------------------------------ page checks

const axeSource = readFileSync(AXE_PATH, 'utf8');
const axeReport = [];

/** Runs axe-core on the page; fails on serious or critical violations. */
async function axe(page, label) {
  // Injected through the DevTools protocol rather than a <script> element:
  // the pages' Content-Security-Policy rightly refuses inline scripts, and
  // the test must not loosen it (bypassCSP would also hide CSP mistakes).
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
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeReport.push({ page: label, violations: result.length, serious_or_critical: bad.length });
  for (const v of result) {
    log(`  axe ${label}: [${v.impact}] ${v.id}: ${v.help}`);
    for (const n of v.nodes) log(`      ${n.replace(/\n/g, ' / ')}`);
  }
  check(bad.length === 0, `axe-core found ${bad.length} serious or critical violation(s) on the ${label} page: ${bad.map((v) => v.id).join(', ')}`);
  log(`axe ${label}: ${result.length === 0 ? 'no violations' : `${result.length} minor/moderate violation(s)`}`);
}

/** The page must fit a phone's width (mobile-first): no sideways scrolling. */
async function fitsPhone(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width, `the ${label} page is wider than the phone screen (${scroll}px > ${width}px)`);
}

/** Every check a page gets. */
async function checkPage(page, label) {
  const lang = await page.getAttribute('html', 'lang');
  check(lang === 'en', `the ${label} page should say lang="en" (it says ${lang})`);
  await fitsPhone(page, label);
  await axe(page, label);
}

function watchPage(page, problems) {
  // Console errors (a CSP refusal, an invalid `pattern`, …) are problems;
  // "Failed to load resource" is judged below by what failed instead: a page
  // may rightly answer 401 (a refused sign-in), a stylesheet may not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console error on ${page.url()}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`script error on ${page.url()}: ${e.message}`));
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) {
      problems.push(`${r.url()} (asked by ${page.url()}) answered ${r.status()}`);
    }
  });
  page.on('requestfailed', (r) => problems.push(`${r.url()} failed: ${r.failure()?.errorText}`));
}

async function submit(page, buttonName) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.origin === BASE ? u.pathname : u.href;
}

// ------------------------------------------------------------------ the run

async function run(browser, shots) {
  const app = await startApp();
  const problems = [];
  const phone = {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  };
  try {
    // --- French from the browser's language
    {
      const fr = await browser.newContext({ ...phone, locale: 'fr-FR' });
      const page = await fr.newPage();
      watchPage(page, problems);
      await page.goto(`${BASE}/account/signup`);
      check((await page.getAttribute('html', 'lang')) === 'fr', 'with a French browser the sign-up page should say lang="fr"');
      const h1 = await page.locator('h1').innerText();
      check(/Créer votre espace/.test(h1), `with a French browser the sign-up page should be in French; its title is "${h1}"`);
      check(await page.getByLabel('Mot de passe', { exact: true }).isVisible(), 'the French sign-up page should label the password "Mot de passe"');
      await axe(page, 'sign-up (fr)');
      await page.goto(`${BASE}/account/login`);
      check((await page.locator('h1').innerText()) === 'Connexion', 'the French sign-in page should be titled "Connexion"');
      // What the server says after a form is sent is French too.
      await page.getByLabel('Adresse e-mail').fill('personne@example.org');
      await page.getByLabel('Mot de passe', { exact: true }).fill('pas le bon mot de passe');
      await submit(page, 'Se connecter');
      const alert = await page.getByRole('alert').innerText();
      check(alert.includes("n'est pas correct"), `a refused French sign-in should explain in French; it says "${alert}"`);
      await axe(page, 'sign-in with an error (fr)');
      await fr.close();
      log('French pages: ok');
    }

    const ctx = await browser.newContext({ ...phone, locale: 'en-US' });
    const page = await ctx.newPage();
    watchPage(page, problems);

    // --- sign-up
    await page.goto(`${BASE}/account/signup`);
    check((await page.locator('h1').innerText()).includes('Create your personal data store'), 'the sign-up page should be in English for an English browser');
    await checkPage(page, 'sign-up');
    await page.screenshot({ path: join(shots, 'signup.png'), fullPage: true });
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    // The browser itself checks the pod name's shape (a `pattern` it can compile).
    const podField = page.getByLabel('Name of your pod');
    await podField.fill('Not_A-Pod');
    check(await podField.evaluate((el) => el.validity.patternMismatch), 'the browser should refuse "Not_A-Pod" as a pod name (pattern attribute)');
    await podField.fill(POD);
    check(await podField.evaluate((el) => el.validity.valid), `the browser should accept "${POD}" as a pod name`);
    await submit(page, 'Create my account');
    check(pathOf(page) === '/', `after sign-up the browser should be on the home page, not ${page.url()}: ${await page.locator('main').innerText().catch(() => '')}`);
    await page.goto(`${BASE}/account`);
    check((await page.locator('main').innerText()).includes(EMAIL), 'the account page should show the email address');
    log('sign-up: ok');

    // --- sign out, sign in
    await submit(page, 'Sign out');
    check(pathOf(page) === '/account/login', `after signing out the browser should be on /account/login, not ${page.url()}`);
    await page.goto(`${BASE}/account`);
    check(pathOf(page) === '/account/login', 'once signed out, the account page should send the browser to sign in');
    await checkPage(page, 'sign-in');
    await page.screenshot({ path: join(shots, 'login.png'), fullPage: true });
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await submit(page, 'Sign in');
    check((await page.getByRole('alert').innerText()).includes('not right'), 'a wrong password should say so');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await submit(page, 'Sign in');
    check(pathOf(page) === '/account', `after signing in the browser should be back on /account, not ${page.url()}`);
    await checkPage(page, 'account');
    log('sign-out and sign-in: ok');

    // --- the app's authorization, starting signed out (sign-in, then back to the consent screen)
    await submit(page, 'Sign out');
    const { verifier, challenge } = pkce();
    const authorizeUrl = `${BASE}/idp/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: app.clientId,
      redirect_uri: app.redirectUri,
      scope: 'openid webid offline_access',
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      nonce: 'n',
    })}`;
    await page.goto(authorizeUrl);
    check(pathOf(page) === '/account/login', `a signed-out resident should be asked to sign in first, not sent to ${page.url()}`);
    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await submit(page, 'Sign in');
    check(pathOf(page) === '/idp/authorize', `after signing in, the browser should be back on the consent screen, not ${page.url()}`);
    const consentText = await page.locator('main').innerText();
    check(consentText.includes(APP_NAME), `the consent screen should name the app "${APP_NAME}" from its Client ID Document; it shows:\n${consentText}`);
    check(consentText.includes('stay connected'), 'the consent screen should say the app asks to stay connected (offline_access)');
    await checkPage(page, 'consent');
    await page.screenshot({ path: join(shots, 'consent.png'), fullPage: true });
    await submit(page, 'Allow');
    const back = new URL(page.url());
    check(back.origin + back.pathname === app.redirectUri, `after Allow the browser should be on the app's callback, not ${page.url()}`);
    const code = back.searchParams.get('code');
    check(code, `the callback has no code: ${back.search}`);
    check(back.searchParams.get('state') === 'xyz', `the callback's state should be xyz: ${back.search}`);
    check(back.searchParams.get('iss') === `${BASE}/`, `the callback's iss should be ${BASE}/: ${back.search}`);
    check((await page.locator('body').innerText()).includes(code), 'the app callback page should show the code');
    log('consent and redirect back to the app: ok');

    // --- the app exchanges the code (DPoP-bound tokens) and reads the pod
    const key = dpopKey();
    const tokenUrl = `${BASE}/idp/token`;
    const tr = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: dpopProof(key, 'POST', tokenUrl) },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: app.redirectUri,
        code_verifier: verifier,
        client_id: app.clientId,
      }),
    });
    const tokens = await tr.json();
    check(tr.status === 200, `the token endpoint answered ${tr.status}: ${JSON.stringify(tokens)}`);
    check(tokens.token_type === 'DPoP', `token_type should be DPoP: ${tokens.token_type}`);
    check(tokens.access_token && tokens.id_token && tokens.refresh_token, `the token answer lacks a token: ${Object.keys(tokens)}`);
    const idc = jwtClaims(tokens.id_token);
    const webid = `${BASE}/${POD}/profile/card#me`;
    check(idc.iss === `${BASE}/` && idc.aud === app.clientId && idc.nonce === 'n', `the ID token's claims are off: ${JSON.stringify(idc)}`);
    check(typeof idc.webid === 'string' && idc.webid.startsWith(`${BASE}/${POD}/`), `the ID token's webid should be in the pod: ${idc.webid} (e.g. ${webid})`);
    const first = await readPod(key, tokens.access_token);
    check(first.status === 200, `the app's read of ${BASE}/${POD}/ answered ${first.status}: ${first.body}`);
    log('token exchange with DPoP and pod read: ok');

    // --- the grant shows on the account page; revoking it cuts access at once
    await page.goto(`${BASE}/account`);
    const apps = page.locator('section', { has: page.getByRole('heading', { name: 'Apps you allowed' }) });
    const entry = apps.locator('li', { hasText: APP_NAME });
    check((await entry.count()) === 1, `the account page should list "${APP_NAME}" under the apps allowed; it shows:\n${await apps.innerText()}`);
    await checkPage(page, 'account (with an app)');
    await page.screenshot({ path: join(shots, 'account.png'), fullPage: true });
    // Each revoke button names its app for screen readers (several look alike).
    const revoke = entry.getByRole('button', { name: new RegExp(`^Revoke access.*${APP_NAME}`) });
    check((await revoke.count()) === 1, `the revoke button should name the app for screen readers: "${await entry.getByRole('button').innerText()}"`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), revoke.click()]);
    check((await page.getByRole('status').innerText()).includes(APP_NAME), 'revoking should confirm which app lost access');
    check((await apps.locator('li', { hasText: APP_NAME }).count()) === 0, `"${APP_NAME}" is still listed after revoking`);
    await checkPage(page, 'account (after revoking)');
    await page.screenshot({ path: join(shots, 'account-revoked.png'), fullPage: true });
    const after = await readPod(key, tokens.access_token);
    check(after.status === 401, `after revoking, the app's token should get 401 on the pod, not ${after.status}`);
    log('revocation from the account page: ok');

    check(problems.length === 0, `the browser reported problems:\n${problems.join('\n')}`);
    await ctx.close();
  } finally {
    app.server.close();
  }
}

async function main() {
  check(BASE.startsWith('http'), 'set SELFDATA_BASE to the server, e.g. http://127.0.0.1:8080');
  check(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium)`);
  const shots = await mkdtemp(join(tmpdir(), 'selfdata-shots-'));
  const browser = await launch();
  try {
    await run(browser, shots);
  } finally {
    await browser.close();
    log(`screenshots: ${['signup', 'login', 'consent', 'account', 'account-revoked'].map((n) => join(shots, `${n}.png`)).join(' ')}`);
    log(`axe summary: ${JSON.stringify(axeReport)}`);
  }
  log('browser test: all ok');
}

main().catch((e) => {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exit(1);
});
