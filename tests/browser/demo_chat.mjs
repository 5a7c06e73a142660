#!/usr/bin/env node
// The demo chat page (crates/demo/src/page.html) driven by headless Chromium.
//
// Usage (from the repository root, after scripts/install-test-deps.sh):
//
//   node tests/browser/demo_chat.mjs http://127.0.0.1:8080/
//   DEMO_PAGE_URL=http://127.0.0.1:8080/ node tests/browser/demo_chat.mjs
//
// The URL is the page served by `wsproxy serve --demo` (the gateway's port; the page
// opens its sockets at ws://{host}{stage}). Optional environment:
//
//   DEMO_BACKEND_URL  the demo backend's base URL: also checks that a status change
//                     POSTed to /demo/bookings/{id}/status reaches both pages through
//                     the gateway's @connections API
//   DEMO_BOOKING      booking id to use (default b1; messages carry a per-run nonce)
//   CHROMIUM          browser binary (default /usr/bin/chromium)
//   PLAYWRIGHT_CORE   path of the playwright-core package (default: .tools/node, then
//                     the normal module resolution)
//   TEST_TIMEOUT_MS   overall limit (default 60000); each step waits at most 15 s
//
// What it checks: alice and bob open the page on the same booking and connect; both
// get the chat ack and the booking's initial status; alice sends a message and both
// logs show "alice: <message>"; carol (not a participant) is refused; a link whose
// ?ws= points at another host opens no socket there unless the user agrees. Exits 0 when all
// pass, 1 with a message saying which step failed (and the pages' logs) otherwise.

import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const STEP_MS = 15_000;
const TOTAL_MS = Number(process.env.TEST_TIMEOUT_MS || 60_000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function fail(message) {
  console.error(`demo_chat: FAIL: ${message}`);
  process.exit(1);
}

function loadPlaywright() {
  const candidates = [
    process.env.PLAYWRIGHT_CORE,
    path.join(repoRoot, '.tools', 'node', 'node_modules', 'playwright-core'),
    'playwright-core',
  ].filter(Boolean);
  const require = createRequire(import.meta.url);
  for (const candidate of candidates) {
    try {
      return require(candidate);
    } catch (_) {
      // try the next one
    }
  }
  fail('playwright-core not found: run scripts/install-test-deps.sh (installs it into .tools/node)');
}

const target = process.argv[2] || process.env.DEMO_PAGE_URL;
if (!target) fail('usage: node tests/browser/demo_chat.mjs http://HOST:PORT/  (or set DEMO_PAGE_URL)');
let base;
try {
  base = new URL(target);
} catch (_) {
  fail(`not a URL: ${target}`);
}
const booking = process.env.DEMO_BOOKING || 'b1';
const nonce = randomBytes(4).toString('hex');

function pageUrl(user) {
  const url = new URL(base);
  url.searchParams.set('user', user);
  url.searchParams.set('booking', booking);
  return url.toString();
}

const { chromium } = loadPlaywright();
let browser;
const pages = {};
const pageErrors = [];

async function logOf(page) {
  return page.$$eval('#log .entry', (entries) => entries.map((e) => `[${e.dataset.kind}] ${e.textContent}`));
}

async function dumpLogs() {
  for (const [user, page] of Object.entries(pages)) {
    try {
      const state = await page.$eval('#status', (e) => e.dataset.state);
      console.error(`--- ${user}: #status=${state}`);
      for (const line of await logOf(page)) console.error(`    ${line}`);
    } catch (e) {
      console.error(`--- ${user}: page unreadable: ${e.message}`);
    }
  }
  for (const e of pageErrors) console.error(`--- page error: ${e}`);
}

async function step(name, fn) {
  try {
    await fn();
    console.log(`demo_chat: ok: ${name}`);
  } catch (e) {
    const first = String(e && e.message ? e.message : e).split('\n')[0];
    console.error(`demo_chat: FAIL: ${name}: ${first}`);
    await dumpLogs();
    throw new Error('reported');
  }
}

async function open(user) {
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (e) => pageErrors.push(`${user}: ${e.message}`));
  pages[user] = page;
  const response = await page.goto(pageUrl(user), { timeout: STEP_MS });
  if (!response || !response.ok()) {
    throw new Error(`GET ${pageUrl(user)} answered ${response ? response.status() : 'nothing'}`);
  }
  for (const id of ['user', 'booking', 'connect', 'text', 'send', 'log', 'status']) {
    if (!(await page.$(`#${id}`))) throw new Error(`the page has no #${id}: is ${base} the demo page?`);
  }
  const preset = await page.$eval('#user', (e) => e.value);
  if (preset !== user) throw new Error(`#user is ${JSON.stringify(preset)}, not ${user} from ?user=`);
  return page;
}

async function connect(user) {
  const page = pages[user];
  await page.click('#connect');
  await page.waitForFunction(
    () => ['connected', 'refused', 'closed'].includes(document.querySelector('#status').dataset.state),
    null, { timeout: STEP_MS },
  );
  const state = await page.$eval('#status', (e) => e.dataset.state);
  if (state !== 'connected') throw new Error(`${user}'s chat socket is ${state}, not connected`);
}

async function waitForLine(user, line) {
  await pages[user].waitForFunction(
    (want) => [...document.querySelectorAll('#log .entry[data-kind="chat"]')]
      .some((e) => e.textContent.endsWith(want)),
    line, { timeout: STEP_MS },
  );
}

async function waitForBookingStatus(user, want) {
  await pages[user].waitForFunction(
    (w) => {
      const s = document.querySelector('#booking-status').dataset.status;
      return w === null ? s !== '' && s !== '...' : s === w;
    },
    want, { timeout: STEP_MS },
  );
}

async function main() {
  await step(`launch ${CHROMIUM}`, async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: STEP_MS });
  });
  await step(`open ${pageUrl('alice')} and bob's twin`, async () => {
    await open('alice');
    await open('bob');
  });
  await step(`alice and bob connect to booking ${booking}`, async () => {
    await Promise.all([connect('alice'), connect('bob')]);
  });
  await step('both receive the booking\'s initial status', async () => {
    await Promise.all([waitForBookingStatus('alice', null), waitForBookingStatus('bob', null)]);
  });
  const text = `hello bob ${nonce}`;
  await step('alice sends a message', async () => {
    await pages.alice.fill('#text', text);
    await pages.alice.click('#send');
  });
  await step('bob and alice both see it', async () => {
    await Promise.all([waitForLine('bob', `alice: ${text}`), waitForLine('alice', `alice: ${text}`)]);
  });
  const reply = `hi alice ${nonce}`;
  await step('bob answers, alice sees it', async () => {
    await pages.bob.fill('#text', reply);
    await pages.bob.press('#text', 'Enter');
    await waitForLine('alice', `bob: ${reply}`);
  });
  if (process.env.DEMO_BACKEND_URL) {
    const status = `cancelled-${nonce}`;
    await step('a status change POSTed to the backend reaches both pages', async () => {
      const url = `${process.env.DEMO_BACKEND_URL.replace(/\/$/, '')}/demo/bookings/${encodeURIComponent(booking)}/status`;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ status }),
        signal: AbortSignal.timeout(STEP_MS),
      });
      if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
      await Promise.all([waitForBookingStatus('alice', status), waitForBookingStatus('bob', status)]);
    });
  }
  await step('carol, not a participant, is refused', async () => {
    await open('carol');
    await pages.carol.click('#connect');
    await pages.carol.waitForFunction(
      () => ['connected', 'refused', 'closed'].includes(document.querySelector('#status').dataset.state),
      null, { timeout: STEP_MS },
    );
    const state = await pages.carol.$eval('#status', (e) => e.dataset.state);
    if (state !== 'refused') throw new Error(`carol's socket is ${state}, expected refused`);
  });
  await step('a ?ws= on another host is not used without asking, even with autoconnect', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    pages.mallory = page;
    const dialogs = [];
    page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
    const sockets = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    const url = new URL(pageUrl('alice'));
    url.searchParams.set('ws', 'ws://127.0.0.2:9/dev');
    url.searchParams.set('autoconnect', '1');
    await page.goto(url.toString(), { timeout: STEP_MS });
    await page.waitForFunction(
      () => ['connected', 'refused', 'closed'].includes(document.querySelector('#status').dataset.state),
      null, { timeout: STEP_MS },
    );
    if (dialogs.length !== 1 || !dialogs[0].includes('127.0.0.2:9')) {
      throw new Error(`expected one question naming 127.0.0.2:9, got ${JSON.stringify(dialogs)}`);
    }
    const foreign = sockets.filter((s) => s.includes('127.0.0.2'));
    if (foreign.length) throw new Error(`the page opened ${foreign.join(', ')} though the user said no`);
    if (!sockets.some((s) => s.startsWith(`ws://${base.host}/`))) {
      throw new Error(`the page did not fall back to its own gateway: ${JSON.stringify(sockets)}`);
    }
  });
  if (pageErrors.length) {
    await step('no script errors in the pages', async () => {
      throw new Error(pageErrors.join('; '));
    });
  }
}

const watchdog = setTimeout(async () => {
  console.error(`demo_chat: FAIL: did not finish within ${TOTAL_MS} ms`);
  await dumpLogs().catch(() => {});
  process.exit(1);
}, TOTAL_MS);

let code = 0;
try {
  await main();
  console.log('demo_chat: PASS');
} catch (e) {
  if (e.message !== 'reported') console.error(`demo_chat: FAIL: ${e.stack || e}`);
  code = 1;
} finally {
  clearTimeout(watchdog);
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
