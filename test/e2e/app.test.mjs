// End-to-end in a real browser: the Vue chat app served at "/" by
// bin/stompbox, in Debian's Chromium driven by playwright-core. Two people
// (one on a phone-sized window) join a room, see each other, chat in
// Korean; HTML shows as text; a reload finds the history; a server restart
// is ridden out without duplicates; a claimed name cannot be taken.
// Outside checks use only the data-testid contract of issue 8.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot, sleep } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const WAIT_MS = 15_000;
const RESULTS = path.join(repoRoot, 'test-results');
const XSS = '<img src=x onerror=alert(1)>';

describe('the chat app in Chromium', () => {
  const data = mkdtempSync(path.join(tmpdir(), 'stompbox-app-'));
  let server;
  let browser;
  const problems = []; // page errors and dialogs: none are expected

  before(async () => {
    server = await startServer({ args: ['-data', data] });
    await mkdir(RESULTS, { recursive: true });
  });

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop().catch(() => {});
  });

  async function launch() {
    assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: run \`make deps\` or set CHROMIUM_PATH`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
      timeout: 30_000,
    });
  }

  async function open(who, viewport) {
    const context = await browser.newContext({ viewport, locale: 'ko-KR' });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${who}: page error: ${err.message}`));
    page.on('dialog', (d) => { problems.push(`${who}: dialog ${d.type()} ${d.message()}`); d.dismiss(); });
    const res = await page.goto(`${server.url}/`, { waitUntil: 'load' });
    assert.equal(res.status(), 200, `${who}: GET /`);
    return { who, context, page };
  }

  const byId = (page, id) => page.locator(`[data-testid="${id}"]`);

  async function state(p) {
    return byId(p.page, 'connection').getAttribute('data-state');
  }

  async function waitState(p, want) {
    try {
      await p.page.waitForSelector(`[data-testid="connection"][data-state="${want}"]`, { timeout: WAIT_MS });
    } catch (err) {
      throw new Error(`${p.who}: connection ${await state(p)}, want ${want}\n${server.logs().slice(-3000)}`, { cause: err });
    }
  }

  async function login(p, name) {
    await byId(p.page, 'name-input').fill(name);
    await byId(p.page, 'connect').click();
    await waitState(p, 'connected');
  }

  // The chat lines shown: [{id, text}], in page order.
  async function messages(p) {
    return byId(p.page, 'message').evaluateAll((els) => els.map((el) => ({ id: el.dataset.id, text: el.textContent })));
  }

  async function waitMessage(p, text) {
    try {
      await byId(p.page, 'message').filter({ hasText: text }).first().waitFor({ timeout: WAIT_MS });
    } catch (err) {
      throw new Error(`${p.who}: no line with ${JSON.stringify(text)} in ${JSON.stringify(await messages(p))}`, { cause: err });
    }
  }

  async function say(p, text) {
    await byId(p.page, 'message-input').fill(text);
    await byId(p.page, 'send').click();
    await waitMessage(p, text);
  }

  function assertNoDuplicates(who, lines) {
    const ids = lines.map((l) => l.id);
    assert.equal(new Set(ids).size, ids.length, `${who}: a line shown twice: ${JSON.stringify(lines)}`);
    const sorted = [...ids].map(Number).sort((a, b) => a - b);
    assert.deepEqual(ids.map(Number), sorted, `${who}: lines out of order`);
  }

  test('two people chat, one on a phone; reload, restart, claimed names', async () => {
    await launch();
    const a = await open('홍길동 (desktop)', { width: 1280, height: 800 });
    const b = await open('고길동 (phone)', { width: 390, height: 844 });
    await login(a, '홍길동');
    await login(b, '고길동');

    // Both are in the lobby and see each other as members.
    for (const p of [a, b]) {
      await byId(p.page, 'room').filter({ hasText: 'lobby' }).first().waitFor({ state: 'attached' });
    }
    await byId(a.page, 'member').filter({ hasText: '고길동' }).waitFor({ state: 'attached' });
    await byId(b.page, 'member').filter({ hasText: '홍길동' }).waitFor({ state: 'attached' });

    await say(a, '안녕하세요, 고길동님!');
    await waitMessage(b, '안녕하세요, 고길동님!');
    await say(b, '반갑습니다 😀 홍길동님');
    await waitMessage(a, '반갑습니다 😀 홍길동님');

    // HTML is shown as text, never run.
    await say(a, XSS);
    await waitMessage(b, XSS);
    for (const p of [a, b]) {
      const imgs = await byId(p.page, 'message').locator('img').count();
      assert.equal(imgs, 0, `${p.who}: the line became an <img>`);
    }
    const line = byId(b.page, 'message').filter({ hasText: XSS });
    assert.match(await line.textContent(), /홍길동/, 'a line holds the name and the text');

    await a.page.screenshot({ path: path.join(RESULTS, 'app-desktop.png') });
    await b.page.screenshot({ path: path.join(RESULTS, 'app-phone.png') });
    // The composer is on screen on the phone.
    const box = await byId(b.page, 'message-input').boundingBox();
    assert.ok(box && box.y + box.height <= 844 && box.y >= 0, `the phone's composer is visible: ${JSON.stringify(box)}`);

    // A reload remembers the name and finds the history.
    await b.page.reload({ waitUntil: 'load' });
    await waitState(b, 'connected');
    await waitMessage(b, '안녕하세요, 고길동님!');
    await waitMessage(b, XSS);
    assertNoDuplicates(b.who, await messages(b));

    // The server restarts on the same port and history: both pages
    // reconnect by themselves and go on, with no line twice.
    const port = server.port;
    await server.stop();
    server = null;
    // The page notices (connecting again, or disconnected), then the server
    // comes back within a second: the app's backoff is still short.
    await a.page.waitForSelector('[data-testid="connection"]:not([data-state="connected"])', { timeout: WAIT_MS });
    await sleep(500);
    server = await startServer({ args: ['-addr', `127.0.0.1:${port}`, '-data', data] });
    await waitState(a, 'connected');
    await waitState(b, 'connected');
    await say(b, '재시작 뒤에도 잘 됩니다');
    await waitMessage(a, '재시작 뒤에도 잘 됩니다');
    await say(a, '네, 중복 없이요');
    await waitMessage(b, '네, 중복 없이요');
    await sleep(300);
    for (const p of [a, b]) {
      const lines = await messages(p);
      assertNoDuplicates(p.who, lines);
      assert.equal(lines.filter((l) => l.text.includes('안녕하세요, 고길동님!')).length, 1, `${p.who}: the first line once`);
    }

    // The read-only live view of the room: its history, then new lines over
    // Server-Sent Events, without STOMP.
    const wall = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const live = await wall.newPage();
    live.on('pageerror', (err) => problems.push(`live view: page error: ${err.message}`));
    assert.equal((await live.goto(`${server.url}/rooms/lobby/live`)).status(), 200);
    await live.locator('[data-testid="live-message"]').filter({ hasText: '네, 중복 없이요' }).waitFor({ timeout: WAIT_MS });
    await live.waitForSelector('[data-testid="live-state"][data-state="connected"]', { timeout: WAIT_MS });
    await say(b, '벽 화면에도 보이나요?');
    await live.locator('[data-testid="live-message"]').filter({ hasText: '벽 화면에도 보이나요?' }).waitFor({ timeout: WAIT_MS });
    const liveIds = await live.locator('[data-testid="live-message"]').evaluateAll((els) => els.map((el) => el.dataset.id));
    assert.equal(new Set(liveIds).size, liveIds.length, `the live view shows a line twice: ${liveIds}`);
    assert.equal(await live.locator('[data-testid="live-message"] img').count(), 0, 'HTML is text on the wall too');
    await live.screenshot({ path: path.join(RESULTS, 'app-live.png') });
    await wall.close();

    // A third person cannot take a claimed name.
    const c = await open('사칭', { width: 800, height: 600 });
    await byId(c.page, 'name-input').fill('홍길동');
    await byId(c.page, 'connect').click();
    await byId(c.page, 'connect-error').waitFor();
    assert.match(await byId(c.page, 'connect-error').textContent(), /홍길동/);
    await sleep(500);
    assert.notEqual(await state(c), 'connected', 'the impostor is not connected');
    await c.page.screenshot({ path: path.join(RESULTS, 'app-name-taken.png') });

    assert.deepEqual(problems, [], 'no page errors or dialogs');
  });
});
