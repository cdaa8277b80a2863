// What the browser scripts share: where Chromium is and how it is started
// (headless, no network of its own), and filling and sending the sign-in form
// (French or English labels).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.SELFDATA_CHROMIUM || '/usr/bin/chromium';

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// On the sign-in page: types the e-mail and password, sends the form and
// waits for the page it leads to.
export async function submitSignIn(page, email, password) {
  await page.getByLabel(/^(Email address|Adresse e-mail)$/).fill(email);
  await page.getByLabel(/^(Password|Mot de passe)$/).fill(password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: /^(Sign in|Se connecter)$/ }).click(),
  ]);
}
