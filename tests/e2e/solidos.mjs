// The SolidOS data browser (npm `mashlib`: its `browse.html`), served from
// an origin of its own, in a headless Chromium against selfdata: the
// resident signs in through it (dynamic registration, selfdata's sign-in
// page and consent screen, DPoP-bound tokens), browses the pod's root
// folder, makes a new folder (an empty PUT to the folder's address, without
// a Content-Type, which selfdata answers 201), makes a document and edits it
// in the source pane, shares it with everyone in the sharing pane (its ACL
// written, then read back by an anonymous fetch), uploads a file by dropping
// it on the folder, and deletes the document from "under the hood".
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

  const responseTo = (method, url) => page.waitForResponse(
    (r) => r.url() === url && r.request().method() === method, { timeout: 20000 });
  const DOC = `${POD}shopping.ttl`;
  const row = `td.obj[about="<${DOC}>"]`;

  // Make a document: the + , "Make new source", a name, Continue.
  await page.locator('img[title="Add another tool"]').first().click();
  await page.locator('img[title="Make new source @@"]').click();
  await page.locator('input[type=text][size="100"]').fill('shopping.ttl');
  const [created] = await Promise.all([responseTo('PUT', DOC), page.locator('img[title="Continue"]').click()]);
  check(created.status() === 201, `the new document's PUT: ${created.status()}`);
  await page.locator(row).waitFor({ timeout: 20000 });
  console.log('a new document was made');

  // Edit it: open it in place, Edit, type, Continue (the source pane saves
  // on a key typed, as a person would).
  await page.locator(`${row} > img[src$="tbl-expand-trans.png"]`).click();
  await page.locator(`${row} .sourcePane img[title="Edit"]`).click();
  const text = `${row} .sourcePaneTextArea`;
  await page.locator(text).fill('@prefix s: <http://schema.org/>.\n<#milk> a s:Product; s:name "Milk".');
  await page.locator(text).press('End');
  const [saved] = await Promise.all([responseTo('PUT', DOC), page.locator(`${row} .sourcePane img[title="Continue"]`).click()]);
  check(saved.ok(), `the edited document's PUT: ${saved.status()}`);
  check((await fetch(DOC)).status === 401, 'the document is private before it is shared');
  console.log('the document was edited in the source pane');

  // Share it: the padlock, specific sharing, Add Everyone (a reader).
  await page.locator(`${row} img[title="Sharing"]`).click();
  const [acl] = await Promise.all([
    responseTo('PUT', `${DOC}.acl`),
    page.getByRole('button', { name: 'Set specific sharing for this file' }).click(),
  ]);
  check(acl.status() === 201, `the document's own ACL: ${acl.status()}`);
  await page.locator(`${row} img[title="Add ..."]`).click();
  const [shared] = await Promise.all([responseTo('PUT', `${DOC}.acl`), page.locator(`${row} img[title="Add Everyone"]`).click()]);
  check(shared.ok(), `the ACL naming everyone: ${shared.status()}`);
  const anonymous = await fetch(DOC);
  const body = await anonymous.text();
  check(anonymous.status === 200 && body.includes('"Milk"'), `everyone reads the edited document: ${anonymous.status} ${body}`);
  console.log('the document was shared with everyone and reads anonymously');

  // Upload: drop a file on the folder's + (SolidOS's drop target).
  const [uploaded] = await Promise.all([
    responseTo('PUT', `${POD}hello.txt`),
    page.evaluate(() => {
      const files = new DataTransfer();
      files.items.add(new File(['hello from SolidOS'], 'hello.txt', { type: 'text/plain' }));
      const target = document.querySelector('.folderPaneDropTarget');
      for (const type of ['dragenter', 'dragover', 'drop']) {
        target.dispatchEvent(new DragEvent(type, { dataTransfer: files, bubbles: true, cancelable: true }));
      }
    }),
  ]);
  check(uploaded.status() === 201, `the dropped file's PUT: ${uploaded.status()}`);
  await page.waitForFunction(() => document.querySelector('#OutlineView').innerText.includes('hello.txt'), null, { timeout: 20000 });
  console.log('a file was uploaded by dropping it on the folder');

  // Delete the document: "under the hood", the red mark, "Remove this
  // file", and the browser's confirmation.
  page.on('dialog', (dialog) => dialog.accept());
  await page.locator(`${row} img[title="under the hood"]`).click();
  await page.locator(`${row} .internalPaneDeleteButton`).click();
  const [deleted] = await Promise.all([
    responseTo('DELETE', DOC),
    page.locator(row).getByRole('button', { name: 'Remove this file' }).click(),
  ]);
  check(deleted.ok(), `the document's DELETE: ${deleted.status()}`);
  check((await fetch(DOC)).status !== 200, 'the deleted document is gone');
  console.log('the document was deleted');
  check(refused.length === 0, `no write refused: ${refused.join(' / ')}`);
} finally {
  await browser.close();
  server.close();
}
