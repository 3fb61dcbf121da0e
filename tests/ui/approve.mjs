// Drives toolwall's approval page (/ui) in real headless Chromium: a wrong token is refused,
// then sign in with an approver token, wait for the pending request, approve it with a
// comment, and check that the page shows the new state, the decided history and the live feed
// (server-sent events) — and that the page never reached another origin, ran injected markup,
// or kept the token anywhere but sessionStorage (no cookie, not in the URL).
//
// Run by tests/cases/approvals_ui.rs. Environment:
//   TOOLWALL_UI_URL          the page, e.g. http://127.0.0.1:PORT/ui#<approval id>
//   TOOLWALL_UI_TOKEN        the approver's token
//   TOOLWALL_UI_APPROVAL_ID  the pending request to approve
//   TOOLWALL_UI_COMMENT      the comment to approve it with
//   TOOLWALL_UI_TOOL         the request's tool name (checked on the card)
//   TOOLWALL_UI_SCREENSHOT   where to save the screenshot after the decision (PNG; the queue
//                            before it goes beside it, as <name>-pending.png)
//   TOOLWALL_CHROMIUM        the browser (default /usr/bin/chromium)
// Prints one JSON line with what it saw; exits non-zero with the reason on any failure.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const url = need('TOOLWALL_UI_URL');
const token = need('TOOLWALL_UI_TOKEN');
const id = need('TOOLWALL_UI_APPROVAL_ID');
const comment = need('TOOLWALL_UI_COMMENT');
const tool = need('TOOLWALL_UI_TOOL');
const shot = need('TOOLWALL_UI_SCREENSHOT');
const executablePath = process.env.TOOLWALL_CHROMIUM || '/usr/bin/chromium';
const origin = new URL(url).origin;
const timeout = 20000;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'toolwall-ui-'));
const problems = [];
let context;
let page;

async function main() {
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    // a fresh --user-data-dir (the profile above); the rest keeps Chromium off the network
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== origin && u.protocol !== 'data:') problems.push(`request to another origin: ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_ABORTED/.test(m.text())) {
      problems.push(`console error: ${m.text()}`);
    }
  });

  const resp = await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (!resp || resp.status() !== 200) throw new Error(`GET ${url}: ${resp && resp.status()}`);
  const csp = resp.headers()['content-security-policy'] || '';
  if (!csp.includes("default-src 'self'")) throw new Error(`no strict CSP on the page: ${csp}`);

  // a wrong token is refused and forgotten
  await page.locator('#token').fill('not-a-token-of-anyone');
  await page.locator('#sign-in-button').click();
  await page.locator('#sign-in-error:not([hidden])').waitFor();
  if (await page.evaluate(() => sessionStorage.length) !== 0) throw new Error('a refused token was kept');
  if (!(await page.locator('#app').isHidden())) throw new Error('the queue shows without signing in');

  // sign in
  await page.locator('#token').fill(token);
  await page.locator('#sign-in-button').click();
  await page.locator('#who-name').filter({ hasText: /\S/ }).waitFor();
  const who = (await page.locator('#who-name').textContent()).trim();

  // the pending request appears, with what the approver needs to judge it
  const card = page.locator(`#pending article.card[data-approval-id="${id}"]`);
  await card.waitFor();
  const cardText = await card.innerText();
  // a link to /ui#<id> points at the request
  if (new URL(url).hash === `#${id}` && !(await card.evaluate((e) => e.classList.contains('focus')))) {
    throw new Error('the linked request is not highlighted');
  }
  if (!cardText.includes(tool)) throw new Error(`the card does not name the tool ${tool}:\n${cardText}`);
  const args = await card.locator('pre.args').textContent();

  // the live feed is connected before the decision, so the decision must arrive through it
  await page.locator('#feed-state.live').waitFor();

  await card.locator('textarea.comment').fill(comment);
  await page.screenshot({ path: shot.replace(/\.png$/, '') + '-pending.png', fullPage: true });
  await card.locator('button.approve').click();
  await page.locator(`#pending article.card[data-approval-id="${id}"][data-state="approved"], #history tr[data-approval-id="${id}"]`).first().waitFor();

  const feedItem = page.locator(`#feed li[data-approval-id="${id}"][data-event="approved"]`);
  await feedItem.waitFor();
  const feedText = await feedItem.textContent();
  if (!feedText.includes(comment)) throw new Error(`the feed does not show the comment: ${feedText}`);

  const row = page.locator(`#history tr[data-approval-id="${id}"][data-state="approved"]`);
  await row.waitFor();
  const rowText = await row.innerText();
  if (!rowText.includes(who) || !rowText.includes(comment)) {
    throw new Error(`the history row does not show ${who}'s comment: ${rowText}`);
  }
  // once decided it leaves the queue
  await page.locator(`#pending article.card[data-approval-id="${id}"]`).waitFor({ state: 'detached' });

  const storage = await page.evaluate(() => ({
    cookie: document.cookie,
    session: sessionStorage.getItem('toolwall.approver_token'),
    local: localStorage.length,
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    images: document.querySelectorAll('img').length,
  }));
  if (storage.cookie !== '') problems.push(`a cookie was set: ${storage.cookie}`);
  if (storage.session !== token) problems.push('the token is not in sessionStorage');
  if (storage.local !== 0) problems.push('something was written to localStorage');
  if (storage.pwned !== null || storage.images !== 0) problems.push('markup from the request was run');
  if (page.url().includes(token)) problems.push('the token is in the URL');

  await page.screenshot({ path: shot, fullPage: true });
  if (problems.length) throw new Error(problems.join('\n'));
  console.log(JSON.stringify({ ok: true, who, args, feed: feedText, history: rowText, screenshot: shot }));
}

try {
  await main();
} catch (e) {
  console.error(`approve.mjs: ${e && e.stack || e}`);
  if (problems.length) console.error(problems.join('\n'));
  if (page) {
    try {
      await page.screenshot({ path: shot.replace(/\.png$/, '') + '-failure.png', fullPage: true });
      console.error('page text:\n' + await page.locator('body').innerText());
    } catch (_) { /* the browser is gone */ }
  }
  process.exitCode = 1;
} finally {
  if (context) await context.close().catch(() => {});
  fs.rmSync(profile, { recursive: true, force: true });
}
