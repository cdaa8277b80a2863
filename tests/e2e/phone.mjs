// The energy chart's text on a phone, in a headless Chromium (Debian's
// `chromium`): a 360-pixel-wide screen signs in through the login form and
// opens each chart of SELFDATA_PATHS; every text of the chart (ticks, unit,
// period labels) must be drawn at least 12 CSS pixels tall, read as the
// font size times the drawing's scale on the screen, and the page must not
// scroll sideways. The smallest size seen is printed.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM (default /usr/bin/chromium),
//      SELFDATA_EMAIL, SELFDATA_PASSWORD, SELFDATA_PATHS (one a line).
// Exit status 0 on success; otherwise a message says what went wrong.

import { chromium } from 'playwright-core';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const CHROMIUM = process.env.SELFDATA_CHROMIUM || '/usr/bin/chromium';
const EMAIL = process.env.SELFDATA_EMAIL;
const PASSWORD = process.env.SELFDATA_PASSWORD;
const PATHS = (process.env.SELFDATA_PATHS || '').split('\n').filter((p) => p);
const SMALLEST = 12;

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}

async function run(browser) {
  const ctx = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'fr-FR',
  });
  const page = await ctx.newPage();
  await page.goto(`${BASE}/account/login`);
  await page.getByLabel(/^(Email address|Adresse e-mail)$/).fill(EMAIL);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(PASSWORD);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click(),
  ]);
  for (const path of PATHS) {
    await page.goto(`${BASE}${path}`);
    const seen = await page.evaluate(() => {
      const svg = document.querySelector('figure.chart-box svg.chart');
      if (!svg) return null;
      const texts = [...svg.querySelectorAll('text')].filter((t) => t.getBBox().width > 0);
      return {
        scroll: document.documentElement.scrollWidth,
        width: window.innerWidth,
        sizes: texts.map((t) => ({
          text: t.textContent,
          // The font size in the drawing's units, times how much the drawing is scaled.
          px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
        })),
      };
    });
    check(seen, `${path}: no chart`);
    check(seen.sizes.length >= 5, `${path}: only ${seen.sizes.length} texts in the chart`);
    const smallest = seen.sizes.reduce((a, b) => (b.px < a.px ? b : a));
    console.log(`${path}: ${seen.sizes.length} texts, the smallest ${smallest.px.toFixed(1)} px ("${smallest.text}")`);
    check(smallest.px >= SMALLEST, `${path}: "${smallest.text}" is drawn ${smallest.px.toFixed(1)} px tall on a 360-pixel phone (at least ${SMALLEST})`);
    check(seen.scroll <= seen.width, `${path} is wider than the screen (${seen.scroll}px > ${seen.width}px)`);
  }
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await run(browser);
} catch (e) {
  console.error(e instanceof Failure ? `FAILED: ${e.message}` : e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
