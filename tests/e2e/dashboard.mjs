// The energy and water dashboard in a headless Chromium (Debian's
// `chromium`, never a downloaded browser), against a server holding the
// demo household (`selfdata demo --no-serve`): the resident signs in
// through the login form, opens /app/energy, switches scales (day, week, month,
// year) and units (kWh / €, L / m³ / €), follows the previous-period and a
// drill-down link, opens the tariffs page, imports a file and follows the
// job to its summary. Every page state is checked with axe-core (any
// violation fails), for sideways scrolling on a phone, and for console
// errors. Phone and desktop screenshots go to SELFDATA_SHOTS.
//
// Every figure seen (bar values, previous-year markers, tile numbers) is
// written to SELFDATA_FIGURES with the API query that must give the same
// figures; the Rust test (crates/selfdata/tests/e2e_dashboard.rs) asks the
// API and compares.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM (default /usr/bin/chromium),
//      SELFDATA_SHOTS (a folder), SELFDATA_FIGURES (a file to write),
//      SELFDATA_UPLOAD (a meter file to import).
// Exit status 0 on success; otherwise a message says what went wrong.

import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, launch, submitSignIn } from './lib.mjs';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const SHOTS = process.env.SELFDATA_SHOTS || '.';
const FIGURES = process.env.SELFDATA_FIGURES || join(SHOTS, 'figures.json');
const UPLOADS = (process.env.SELFDATA_UPLOAD || '').split('\n').filter((p) => p);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const AXE_PATH = join(HERE, 'node_modules/axe-core/axe.min.js');

const EMAIL = 'demo@selfdata.local';
const PASSWORD = 'selfdata-demo';

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}
const log = (...a) => console.log(...a);

// ------------------------------------------------------------------ page checks

const axeSource = readFileSync(AXE_PATH, 'utf8');
const axeReport = [];

/** Runs axe-core on the page; any violation fails. */
async function axe(page, label) {
  // Through the DevTools protocol: the pages' CSP rightly refuses inline scripts.
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
  axeReport.push({ page: label, violations: result.length });
  for (const v of result) {
    log(`  axe ${label}: [${v.impact}] ${v.id}: ${v.help}`);
    for (const n of v.nodes.slice(0, 5)) log(`      ${n.replace(/\n/g, ' / ')}`);
  }
  check(result.length === 0, `axe-core found ${result.length} violation(s) on ${label}: ${result.map((v) => v.id).join(', ')}`);
}

async function fitsScreen(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width, `${label} is wider than the screen (${scroll}px > ${width}px)`);
}

async function checkPage(page, label, lang = 'en') {
  const l = await page.getAttribute('html', 'lang');
  check(l === lang, `${label} should say lang="${lang}" (it says ${l})`);
  await fitsScreen(page, label);
  await axe(page, label);
}

function watchPage(page, problems) {
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
  page.on('requestfailed', (r) => {
    // A refreshing job page may cancel its own poll; anything else is a problem.
    if (!r.url().includes('/app/import/')) problems.push(`${r.url()} failed: ${r.failure()?.errorText}`);
  });
}

async function follow(page, action) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
}

function pathOf(page) {
  const u = new URL(page.url());
  return u.origin === BASE ? u.pathname : u.href;
}

/** Everything the dashboard shows in figures, with the API query that gives them. */
async function collect(page, label) {
  const state = await page.evaluate(() => {
    const fig = document.querySelector('figure.chart-box');
    const num = (el) => Number(el.getAttribute('data-value'));
    const tiles = {};
    for (const li of document.querySelectorAll('.tile')) {
      const fluid = [...li.classList].find((c) => c.startsWith('tile-')).slice(5);
      const v = li.querySelector('data.tile-value');
      const e = li.querySelector('data.tile-euros');
      tiles[fluid] = {
        value: v ? Number(v.value) : null,
        euros: e ? Number(e.value) : null,
        text: v ? v.textContent : null,
        euros_text: e ? e.textContent : null,
      };
    }
    return {
      url: location.pathname + location.search,
      fluid: fig.dataset.fluid,
      from: fig.dataset.from,
      to: fig.dataset.to,
      step: fig.dataset.step,
      unit: fig.dataset.unit,
      field: fig.dataset.field,
      bars: [...fig.querySelectorAll('rect.bar')].map(num),
      previous: [...fig.querySelectorAll('line.previous')].map(num),
      missing: fig.querySelectorAll('rect.bar-missing').length,
      heading: document.querySelector('.period-name').textContent,
      svg_role: fig.querySelector('svg').getAttribute('role'),
      svg_title: fig.querySelector('svg > title').textContent,
      tiles,
    };
  });
  state.label = label;
  check(state.svg_title.length > 10, `${label}: the chart has no title`);
  check(['img', 'group'].includes(state.svg_role), `${label}: the chart's role is ${state.svg_role}`);
  return state;
}

/** Clicks a link of the scale or unit switch. */
async function choose(page, navName, linkName) {
  const nav = page.getByRole('navigation', { name: navName, exact: true });
  await follow(page, () => nav.getByRole('link', { name: linkName, exact: true }).click());
  const current = await nav.locator('a[aria-current]').innerText();
  check(current === linkName, `after choosing ${linkName}, the ${navName} switch marks "${current}"`);
}

// ------------------------------------------------------------------ the run

async function signIn(page) {
  await page.goto(`${BASE}/app/energy`);
  check(pathOf(page) === '/account/login', `signed out, /app/energy should lead to the sign-in page, not ${page.url()}`);
  await submitSignIn(page, EMAIL, PASSWORD);
  check(pathOf(page) === '/app/energy', `after signing in the browser should be back on /app/energy, not ${page.url()}`);
}

async function run(browser) {
  const problems = [];
  const seen = [];
  const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

  // --- a phone, in English
  const ctx = await browser.newContext({ ...phone, locale: 'en-GB' });
  const page = await ctx.newPage();
  watchPage(page, problems);
  await signIn(page);
  check((await page.locator('h1').innerText()) === 'Energy and water', 'the dashboard is titled "Energy and water"');
  const tiles = page.locator('.tile');
  check((await tiles.count()) === 3, 'three tiles: electricity, gas, water');
  for (const name of ['Electricity', 'Gas', 'Water']) {
    check((await page.getByRole('heading', { name, level: 3 }).count()) === 1, `a tile for ${name}`);
  }
  await checkPage(page, 'dashboard');
  seen.push(await collect(page, 'dashboard (default)'));
  await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png'), fullPage: true });
  await page.screenshot({ path: join(SHOTS, 'dashboard-phone-top.png') });
  log('dashboard: ok');

  // --- scales, electricity
  for (const scale of ['Day', 'Week', 'Month', 'Year']) {
    await choose(page, 'Scale', scale);
    await checkPage(page, `electricity by ${scale.toLowerCase()}`);
    const s = await collect(page, `electricity, ${scale.toLowerCase()}`);
    check(s.bars.length > 0, `electricity by ${scale.toLowerCase()} shows bars`);
    seen.push(s);
  }
  const byYear = seen[seen.length - 1];
  check(byYear.step === 'month' && byYear.bars.length + byYear.missing === 12, `the year shows 12 months (${byYear.bars.length} + ${byYear.missing})`);
  await choose(page, 'Unit', '€');
  await checkPage(page, 'electricity in euros');
  seen.push(await collect(page, 'electricity, year, €'));
  // The previous year, then a drill-down into one of its months.
  await follow(page, () => page.locator('a[rel=prev]').click());
  seen.push(await collect(page, 'electricity, previous year, €'));
  await follow(page, () => page.locator('figure.chart-box svg a').nth(5).click());
  const month = await collect(page, 'electricity, drilled-down month, €');
  check(month.step === 'day', `a month's bar opens its days, not ${month.step}`);
  seen.push(month);
  await checkPage(page, 'electricity, drilled-down month');
  await choose(page, 'Scale', 'Day');
  const day = await collect(page, 'electricity, one day, €');
  check(day.step === 'half-hour' && day.bars.length + day.missing >= 46, `a day shows its half-hours (${day.step}, ${day.bars.length})`);
  seen.push(day);
  await choose(page, 'Unit', 'kWh');
  seen.push(await collect(page, 'electricity, one day, kWh'));
  await page.screenshot({ path: join(SHOTS, 'dashboard-day-phone.png'), fullPage: true });
  log('electricity scales and units: ok');

  // --- water: litres, m³, euros; gas
  await follow(page, () => page.getByRole('link', { name: 'Water', exact: true }).click());
  check((await page.locator('#chart-h').innerText()) === 'Water', 'the water tile opens the water chart');
  await choose(page, 'Scale', 'Month');
  for (const unit of ['L', 'm³', '€']) {
    await choose(page, 'Unit', unit);
    await checkPage(page, `water in ${unit}`);
    seen.push(await collect(page, `water, month, ${unit}`));
  }
  await choose(page, 'Unit', 'L');
  await choose(page, 'Scale', 'Day');
  const waterDay = await collect(page, 'water, day (its week)');
  check(waterDay.step === 'day' && waterDay.bars.length + waterDay.missing === 7, 'water read daily: the day view shows its week');
  seen.push(waterDay);
  check((await page.locator('main').innerText()).includes('read once a day'), 'the page says why the day view shows a week');
  await checkPage(page, 'water, day');
  await follow(page, () => page.getByRole('link', { name: 'Gas', exact: true }).click());
  await choose(page, 'Scale', 'Year');
  seen.push(await collect(page, 'gas, year, kWh'));
  await choose(page, 'Unit', '€');
  seen.push(await collect(page, 'gas, year, €'));
  await checkPage(page, 'gas in euros');
  log('water and gas: ok');

  // --- the leak alert leads to its days
  await page.goto(`${BASE}/app/energy`);
  const alert = page.locator('.alert', { hasText: 'Possible water leak' });
  check((await alert.count()) >= 1, 'the demo household shows its water leak');
  await follow(page, () => alert.last().getByRole('link').click());
  const leak = await collect(page, 'water leak month');
  check(leak.fluid === 'water' && leak.step === 'day', 'the leak link opens the water days');
  seen.push(leak);
  await page.screenshot({ path: join(SHOTS, 'dashboard-water-phone.png'), fullPage: true });

  // --- tariffs
  await follow(page, () => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tariffs' }).click());
  check(pathOf(page) === '/app/energy/tariffs', 'the tariffs link');
  check((await page.locator('main').innerText()).includes('EDF Tarif Bleu'), 'the tariffs page says where defaults come from');
  const price = page.locator('#electricity-base_price');
  check(Number((await price.inputValue()).replace(',', '.')) > 0.1, 'the electricity price is prefilled');
  await checkPage(page, 'tariffs');
  await page.screenshot({ path: join(SHOTS, 'tariffs-phone.png'), fullPage: true });
  // The change forms open on demand; a wrong value comes back with its
  // message next to its field (form open), and the page stays accessible.
  check(!(await page.locator('#gas-price').isVisible()), 'the change forms start closed');
  await page.locator('#gas summary').click();
  await checkPage(page, 'tariffs with a form open');
  await page.locator('#gas-price').fill('abc');
  await follow(page, () => page.getByRole('button', { name: /^Save.*Gas/ }).click());
  check((await page.locator('#gas-price-error').innerText()).includes('Write an amount'), 'a bad price is explained next to its field');
  await checkPage(page, 'tariffs with an error');
  log('tariffs: ok');

  // --- import
  if (UPLOADS.length) {
    await page.goto(`${BASE}/app/energy#import`);
    await page.getByLabel('Files to import').setInputFiles(UPLOADS);
    await follow(page, () => page.getByRole('button', { name: 'Import', exact: true }).click());
    check(pathOf(page).startsWith('/app/import/'), `the import leads to its job page, not ${page.url()}`);
    const running = (await page.locator('.job[data-running]').count()) === 1;
    log(`import job page first seen ${running ? 'running (the script moves the bar, then reloads)' : 'already finished'}`);
    if (running) await page.screenshot({ path: join(SHOTS, 'import-running-phone.png'), fullPage: true });
    await checkPage(page, running ? 'import job (running)' : 'import job');
    // Running or not, the page ends with the file's summary (reloaded by the script or the refresh).
    await page.waitForSelector('.job:not([data-running])', { timeout: 60000 });
    await page.waitForLoadState('load');
    const text = await page.locator('main').innerText();
    const summaries = text.match(/already imported: nothing new|readings imported/g) || [];
    check(summaries.length === UPLOADS.length, `the job page ends with a summary per file: ${text}`);
    check((await page.locator('progress').getAttribute('value')) === '100', 'the finished job shows a full bar');
    await checkPage(page, 'import job (finished)');
    await page.screenshot({ path: join(SHOTS, 'import-phone.png'), fullPage: true });
    log('import: ok');
  }
  await ctx.close();

  // --- without JavaScript: navigation, upload and the self-refreshing job page still work
  {
    const nojs = await browser.newContext({ ...phone, locale: 'en-GB', javaScriptEnabled: false });
    const p = await nojs.newPage();
    watchPage(p, problems);
    await signIn(p);
    await choose(p, 'Scale', 'Year');
    check((await p.locator('figure.chart-box rect.bar').count()) > 0, 'without script the year chart still shows');
    if (UPLOADS.length) {
      await p.getByLabel('Files to import').setInputFiles(UPLOADS[UPLOADS.length - 1]);
      await follow(p, () => p.getByRole('button', { name: 'Import', exact: true }).click());
      check(pathOf(p).startsWith('/app/import/'), `without script the import leads to its job page, not ${p.url()}`);
      await p.waitForSelector('.job:not([data-running])', { timeout: 60000 });
      check(/already imported: nothing new|readings imported/.test(await p.locator('main').innerText()), 'without script the job page ends with its summary');
    }
    await nojs.close();
    log('without JavaScript: ok');
  }

  // --- a desktop, in French
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
  const dpage = await desk.newPage();
  watchPage(dpage, problems);
  await signIn(dpage);
  check((await dpage.locator('h1').innerText()) === 'Énergie et eau', 'the French dashboard is titled "Énergie et eau"');
  await checkPage(dpage, 'dashboard (fr, desktop)', 'fr');
  const tops = await dpage.locator('.tile').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
  check(new Set(tops).size === 1, `on a wide screen the tiles sit in a row (tops ${tops})`);
  seen.push(await collect(dpage, 'dashboard (fr)'));
  await dpage.screenshot({ path: join(SHOTS, 'dashboard-desktop.png'), fullPage: true });
  await choose(dpage, 'Échelle', 'Semaine');
  seen.push(await collect(dpage, 'électricité, semaine'));
  await checkPage(dpage, 'semaine (fr)', 'fr');
  await desk.close();

  writeFileSync(FIGURES, JSON.stringify(seen, null, 1));
  check(problems.length === 0, `the browser reported problems:\n${problems.join('\n')}`);
}

async function main() {
  check(BASE.startsWith('http'), 'set SELFDATA_BASE to the server, e.g. http://127.0.0.1:8080');
  check(existsSync(CHROMIUM), `Chromium is missing at ${CHROMIUM}: install Debian's chromium package`);
  mkdirSync(SHOTS, { recursive: true });
  const browser = await launch();
  try {
    await run(browser);
  } finally {
    await browser.close();
    log(`screenshots in ${SHOTS}`);
    log(`axe summary: ${JSON.stringify(axeReport)}`);
  }
  log('dashboard browser test: all ok');
}

main().catch((e) => {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exit(1);
});
