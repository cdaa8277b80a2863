// Resident pages on a phone, in a headless Chromium (Debian's `chromium`):
// a 360-pixel-wide screen signs in through the login form, then
// - opens each chart of SELFDATA_PATHS: every text of the chart (ticks,
//   unit, period labels) must be drawn at least 12 CSS pixels tall, read as
//   the font size times the drawing's scale on the screen (the smallest
//   size seen is printed);
// - with SELFDATA_QR=1, turns on two-step sign-in on the account page: the
//   QR code must be drawn, square, between 150 and 320 pixels wide, with
//   the key to type under it.
// No page may scroll sideways.
//
// Env: SELFDATA_BASE, SELFDATA_CHROMIUM (default /usr/bin/chromium),
//      SELFDATA_EMAIL, SELFDATA_PASSWORD, SELFDATA_PATHS (one a line),
//      SELFDATA_QR.
// Exit status 0 on success; otherwise a message says what went wrong.

import { CHROMIUM, launch, submitSignIn } from './lib.mjs';

const BASE = (process.env.SELFDATA_BASE || '').replace(/\/$/, '');
const EMAIL = process.env.SELFDATA_EMAIL;
const PASSWORD = process.env.SELFDATA_PASSWORD;
const PATHS = (process.env.SELFDATA_PATHS || '').split('\n').filter((p) => p);
const QR = process.env.SELFDATA_QR === '1';
const SMALLEST = 12;

class Failure extends Error {}
function check(cond, message) {
  if (!cond) throw new Failure(message);
}

async function fitsScreen(page, label) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  check(scroll <= width, `${label} is wider than the screen (${scroll}px > ${width}px)`);
}

async function qrCode(page) {
  await page.goto(`${BASE}/account`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('form[action="/account/totp"] button').click(),
  ]);
  const qr = page.getByRole('img', { name: /QR/ });
  check((await qr.count()) === 1, 'the two-step sign-in page shows one QR code');
  const box = await qr.boundingBox();
  check(box && Math.abs(box.width - box.height) < 1, `the QR code is square (${JSON.stringify(box)})`);
  check(box.width >= 150 && box.width <= 320, `the QR code is ${box.width} px wide`);
  const key = page.locator('code.copy').last();
  const keyBox = await key.boundingBox();
  check(keyBox && keyBox.y > box.y + box.height, 'the key to type is under the QR code');
  const secret = await page.locator('input[name="secret"]').getAttribute('value');
  check((await key.innerText()) === secret, 'the key shown is the one the form confirms');
  await fitsScreen(page, 'the two-step sign-in page');
  console.log(`the QR code is drawn ${box.width.toFixed(0)} px wide, the key under it`);
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
  await submitSignIn(page, EMAIL, PASSWORD);
  if (QR) await qrCode(page);
  for (const path of PATHS) {
    await page.goto(`${BASE}${path}`);
    const seen = await page.evaluate(() => {
      const svg = document.querySelector('figure.chart-box svg.chart');
      if (!svg) return null;
      const texts = [...svg.querySelectorAll('text')].filter((t) => t.getBBox().width > 0);
      return {
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
    await fitsScreen(page, path);
  }
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
