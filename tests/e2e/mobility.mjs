// The mobility pages in a headless Chromium (Debian's `chromium`), with
// JavaScript off where forms are sent (the pages have no script: every form
// must work as plain HTML; axe-core, itself a script, then goes over the
// same addresses in a browser with it). On each page: axe-core (any
// violation fails), nothing wider than the screen outside the regions
// declared to scroll, no word cut across two lines (a table squeezed rather
// than scrolling); on the day and places pages the map drawn by the server,
// named for assistive technology by the page's heading, its words 12 px
// tall or more; after each form, its notice on the screen shown.
// - a phone in English: the month (chart, shares, what-if, weeks), the day
//   SELFDATA_DAY, where the first trip is said to be by bike and a notice
//   says SELFDATA_SIMILAR similar trips followed; the places, where the first
//   is named SELFDATA_PLACE, in the table and on the map; the car form
//   (electric, two on board) saved;
// - a phone in French (the default language): the three pages in French, the
//   first trip of the day said to be by bus, told in French;
// - a desktop in French: the three pages, the map wider than on the phone.
// With SELFDATA_SHOTS, screenshots of each page go into that folder.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM, SELFDATA_EMAIL, SELFDATA_PASSWORD,
//      SELFDATA_MONTH (YYYY-MM), SELFDATA_DAY (YYYY-MM-DD),
//      SELFDATA_SIMILAR, SELFDATA_PLACE, SELFDATA_SHOTS (optional).

import { join } from 'node:path';
import { Failure, axeClean, check, fitsScreen, launch, phone, submitSignIn } from './lib.mjs';

const env = (k) => process.env[k] || '';
const BASE = env('SELFDATA_BASE').replace(/\/$/, '');
const MONTH = env('SELFDATA_MONTH');
const DAY = env('SELFDATA_DAY');
const SIMILAR = env('SELFDATA_SIMILAR');
const PLACE = env('SELFDATA_PLACE');
const SHOTS = env('SELFDATA_SHOTS');

/** Elements sticking out of the screen on the right, outside any region
 * declared to scroll (role="region", reachable by keyboard). */
async function outsideRegions(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('[role="region"][tabindex="0"], .visually-hidden')) continue;
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 0.5) {
        out.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className}` : ''} (right edge ${Math.round(r.right)}px)`);
      }
    }
    return out.slice(0, 5);
  });
}

/** Pages seen without JavaScript, to go through axe-core (a script itself,
 * which does not finish where scripts are off) in a browser with it. */
const forAxe = [];

/** Screenshots of the whole page, a screen's height at most each. */
async function shoot(page, label) {
  const { width, height, screen } = await page.evaluate(() => ({
    width: document.documentElement.clientWidth,
    height: document.documentElement.scrollHeight,
    screen: Math.max(window.innerHeight, 900),
  }));
  for (let y = 0, i = 1; y < height; y += screen, i++) {
    const path = join(SHOTS, `${label.replace(/[^a-z0-9]+/gi, '-')}${i}.png`);
    await page.screenshot({ path, fullPage: true, clip: { x: 0, y, width, height: Math.min(screen, height - y) } });
  }
}

/** Words of the page cut across two lines (a table squeezed into the
 * screen rather than scrolling breaks "Distance" into "Di/st/an/ce"). */
async function cutWords(page) {
  return page.evaluate(() => {
    const out = [];
    const walk = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (n.parentElement.closest('svg, .visually-hidden, option')) continue;
      for (const m of n.data.matchAll(/\S+/g)) {
        const r = document.createRange();
        r.setStart(n, m.index);
        r.setEnd(n, m.index + m[0].length);
        const lines = new Set([...r.getClientRects()].filter((b) => b.width > 0).map((b) => Math.round(b.top)));
        if (lines.size > 1) out.push(`"${m[0]}" in ${n.parentElement.tagName.toLowerCase()}`);
      }
    }
    return out.slice(0, 6);
  });
}

async function pageChecks(page, label) {
  if (page.noScript) forAxe.push({ url: page.url(), label });
  else await axeClean(page, label);
  await fitsScreen(page, label);
  const out = await outsideRegions(page);
  check(out.length === 0, `${label}: outside the scrolling regions, wider than the screen: ${out.join(', ')}`);
  const cut = await cutWords(page);
  check(cut.length === 0, `${label}: words cut across lines: ${cut.join(', ')}`);
  if (SHOTS) await shoot(page, label);
}

async function visit(page, path, label) {
  const r = await page.goto(`${BASE}${path}`);
  check(r.status() === 200, `${path} answered ${r.status()}`);
  await pageChecks(page, label);
}

/** Sends the form of `button` and waits for the page it leads to. */
async function send(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

/** The notice a sent form leads to, which must be on the screen shown
 * (not above a part of the page the browser jumped to). */
async function status(page) {
  const s = page.getByRole('status');
  check((await s.count()) === 1, `a notice after sending the form on ${page.url()}`);
  const text = (await s.innerText()).trim();
  const box = await s.boundingBox();
  const height = await page.evaluate(() => window.innerHeight);
  check(box && box.y >= 0 && box.y + box.height <= height,
    `the notice "${text}" is off the screen on ${page.url()} (top ${box && Math.round(box.y)}px, screen ${height}px tall)`);
  return text;
}

async function h1(page) {
  return (await page.locator('h1').innerText()).trim();
}

/** The map is drawn, named `name` for assistive technology (its longer
 * description apart), within the screen, its words at least 12 pixels
 * tall; returns its drawn width. */
async function map(page, name, label) {
  const named = page.getByRole('img', { name, exact: true }).and(page.locator('svg.map'));
  check((await named.count()) === 1, `${label}: a map whose accessible name is "${name}"`);
  const box = await named.boundingBox();
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  check(box && box.width > 200 && box.x >= 0 && box.x + box.width <= width,
    `${label}: the map is drawn within the screen (${JSON.stringify(box)}, screen ${width}px)`);
  const sizes = await named.evaluate((svg) => [...svg.querySelectorAll('text')].map((t) => ({
    text: t.textContent,
    // The font size in the drawing's units, times how much the drawing is scaled.
    px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
  })));
  check(sizes.length >= 1, `${label}: the map has a scale`);
  const smallest = sizes.reduce((a, b) => (b.px < a.px ? b : a));
  check(smallest.px >= 12, `${label}: "${smallest.text}" is drawn ${smallest.px.toFixed(1)} px tall on the map (at least 12)`);
  return box.width;
}

async function month(page, label, title) {
  await visit(page, `/app/mobility?month=${MONTH}`, label);
  check((await h1(page)) === title, `${label}: titled "${title}", not "${await h1(page)}"`);
  check((await page.locator('figure.chart-box svg').count()) >= 1, `${label}: the CO2 chart by month`);
  check((await page.locator('ul.shares li').count()) >= 1, `${label}: the shares by mode`);
  check((await page.locator('p.what-if').count()) >= 1, `${label}: the what-if`);
  check((await page.locator('table.weeks tbody tr').count()) >= 1, `${label}: the week table`);
}

async function day(page, label, title) {
  await visit(page, `/app/mobility/day?date=${DAY}`, label);
  const heading = await h1(page);
  check(heading.startsWith(title), `${label}: titled "${title}…", not "${heading}"`);
  const width = await map(page, heading, label);
  check((await page.locator('table.trips tbody tr').count()) >= 1, `${label}: the day's trips listed`);
  return width;
}

async function places(page, label, title) {
  await visit(page, '/app/mobility/places', label);
  check((await h1(page)) === title, `${label}: titled "${title}", not "${await h1(page)}"`);
  const width = await map(page, title, label);
  check((await page.locator('table.places tbody tr').count()) >= 2, `${label}: the places listed`);
  return width;
}

/** Says the first trip of the day was by `mode` (the option's value); returns the notice. */
async function correct(page, field, button, mode) {
  const form = page.locator('table.trips tbody tr').first().locator('form');
  await form.getByLabel(field).selectOption(mode);
  await send(page, form.getByRole('button', { name: button }));
  return status(page);
}

async function run(browser) {
  // --- a phone in English, no JavaScript: the pages and their three forms
  const en = await phone(browser, 'en-GB', { javaScriptEnabled: false });
  let page = await en.newPage();
  page.noScript = true;
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, env('SELFDATA_EMAIL'), env('SELFDATA_PASSWORD'));

  await month(page, 'the month (en, phone)', 'Mobility');
  const phoneMap = await day(page, 'the day (en, phone)', 'Trips on');
  const told = await correct(page, /^Right mode/, 'Correct', 'bike');
  check(told === `Mode saved: ${SIMILAR} similar trips now say bike.`, `the correction is told: "${told}"`);
  const first = page.locator('table.trips tbody tr').first();
  check((await first.locator('td').nth(2).innerText()).includes('Bike'), 'the first trip now says Bike');
  check((await first.getByLabel(/^Right mode/).inputValue()) === 'bike', 'its form now has bike chosen');
  await pageChecks(page, 'the day after a correction (en, phone)');

  await places(page, 'the places (en, phone)', 'Frequent places');
  const row = page.locator('table.places tbody tr').first();
  await row.getByLabel(/^Name of /).fill(PLACE);
  await send(page, row.getByRole('button', { name: 'Name it' }));
  check((await status(page)) === 'Name saved.', 'the name is said saved');
  const header = (await page.locator('table.places tbody tr').first().locator('th').innerText()).trim();
  check(header.startsWith(PLACE), `the first place is now called "${PLACE}": "${header}"`);
  check((await page.locator('svg.map text').allTextContents()).some((t) => t.includes(PLACE)),
    'the map writes the new name beside its point');
  await pageChecks(page, 'the places after naming (en, phone)');

  await page.goto(`${BASE}/app/mobility?month=${MONTH}`);
  await page.getByLabel('People usually in it, driver included').fill('2');
  await page.getByLabel('Electric').check();
  await send(page, page.getByRole('button', { name: 'Save', exact: true }));
  check((await status(page)).startsWith('Settings saved'), 'the settings are said saved');
  check((await page.getByLabel('People usually in it, driver included').inputValue()) === '2', 'two on board now');
  check(await page.getByLabel('Electric').isChecked(), 'the car is now electric');
  await pageChecks(page, 'the month after the car settings (en, phone)');
  await en.close();

  // --- the same pages, as the forms left them, through axe-core
  const axe = await phone(browser, 'en-GB');
  page = await axe.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, env('SELFDATA_EMAIL'), env('SELFDATA_PASSWORD'));
  for (const { url, label } of forAxe) {
    await page.goto(url);
    await axeClean(page, label);
  }
  await axe.close();

  // --- a phone in French, the default language
  const fr = await phone(browser, 'fr-FR');
  page = await fr.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, env('SELFDATA_EMAIL'), env('SELFDATA_PASSWORD'));
  await month(page, 'the month (fr, phone)', 'Déplacements');
  await day(page, 'the day (fr, phone)', 'Trajets du');
  const dit = await correct(page, /^Mode exact/, 'Corriger', 'bus');
  check(dit === `Mode enregistré : ${SIMILAR} trajets semblables sont maintenant en bus.`, `the correction is told in French: "${dit}"`);
  await pageChecks(page, 'the day after a correction (fr, phone)');
  await places(page, 'the places (fr, phone)', 'Lieux fréquents');
  await fr.close();

  // --- a desktop in French
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
  page = await desk.newPage();
  await page.goto(`${BASE}/account/login`);
  await submitSignIn(page, env('SELFDATA_EMAIL'), env('SELFDATA_PASSWORD'));
  await month(page, 'the month (fr, desktop)', 'Déplacements');
  const deskMap = await day(page, 'the day (fr, desktop)', 'Trajets du');
  check(deskMap > phoneMap, `the map grows with the screen (${deskMap}px on a desktop, ${phoneMap}px on a phone)`);
  await places(page, 'the places (fr, desktop)', 'Lieux fréquents');
  await desk.close();
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
