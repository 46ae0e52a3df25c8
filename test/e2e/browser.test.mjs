// End-to-end in a real browser: Debian's Chromium driven by playwright-core
// opens the page served by bin/stompbox in two separate contexts (two
// people) and chats as in the seed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot } from './server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const WAIT_MS = 10_000;
const RESULTS = path.join(repoRoot, 'test-results');
const XSS = '<img src=x onerror="window.__xss=1">';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const rows = (page) =>
  page.$$eval('#chat-messages td', (cells) => cells.map((td) => td.textContent));

// Waits until the table starts with `expected`, then requires it to be
// exactly `expected`.
async function expectRows(page, who, expected) {
  try {
    await page.waitForFunction(
      (want) => {
        const got = [...document.querySelectorAll('#chat-messages td')].map((td) => td.textContent);
        return got.length >= want.length && want.every((line, i) => got[i] === line);
      },
      expected,
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const status = await page.textContent('#status').catch(() => '?');
    throw new Error(`${who}: rows ${JSON.stringify(await rows(page))}, want ${JSON.stringify(expected)} (status: ${status}): ${err.message}`);
  }
  assert.deepEqual(await rows(page), expected, `${who}'s rows`);
}

describe('the chat page in Chromium', () => {
  let server;
  let browser;
  const problems = []; // page errors, console errors, failed requests

  before(async () => {
    server = await startServer();
    await mkdir(RESULTS, { recursive: true });
  });

  // Launched inside the test, so that a missing Chromium is a failing test
  // with a clear message, not a cancelled hook.
  async function launch() {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM}: run \`make deps\` (apt-get install chromium fonts-nanum) or set CHROMIUM_PATH`,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright-core makes a fresh temporary --user-data-dir for launch().
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
      ],
      timeout: 30_000,
    });
  }

  after(async () => {
    if (browser) await browser.close();
    if (server) await server.stop();
  });

  async function open(who) {
    const context = await browser.newContext({
      viewport: { width: 900, height: 640 },
      locale: 'ko-KR',
    });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${who}: page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${who}: console error: ${msg.text()}`);
    });
    page.on('requestfailed', (req) => problems.push(`${who}: request failed: ${req.url()} ${req.failure()?.errorText}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${who}: HTTP ${res.status()} for ${res.url()}`);
    });
    const res = await page.goto(`${server.url}/classic/`, { waitUntil: 'load' });
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), 'Hello WebSocket');
    return { context, page };
  }

  test('홍길동 and 고길동 chat in two browsers', { timeout: 120_000 }, async () => {
    await launch();
    const hong = await open('홍길동');
    const go = await open('고길동');
    try {
      for (const { page } of [hong, go]) {
        assert.equal(await page.getAttribute('#name', 'placeholder'), '이름을 입력하세요.');
        assert.equal(await page.getAttribute('#content', 'placeholder'), '메시지를 입력하세요...');
        assert.equal(await page.textContent('#connect'), '연결');
        assert.equal(await page.textContent('#disconnect'), '끊기');
        assert.equal(await page.isEnabled('#connect'), true);
        assert.equal(await page.isDisabled('#disconnect'), true);
        assert.deepEqual(await rows(page), []);
      }

      await hong.page.fill('#name', '홍길동');
      await hong.page.click('#connect');
      await expectRows(hong.page, '홍길동', ['홍길동님이 입장했습니다.']);
      assert.equal(await hong.page.isEnabled('#disconnect'), true, '끊기 is enabled once connected');
      assert.equal(await hong.page.isDisabled('#connect'), true, '연결 is disabled once connected');

      await go.page.fill('#name', '고길동');
      await go.page.click('#connect');
      await expectRows(go.page, '고길동', ['고길동님이 입장했습니다.']);
      await expectRows(hong.page, '홍길동', ['홍길동님이 입장했습니다.', '고길동님이 입장했습니다.']);
      assert.equal(await go.page.isEnabled('#disconnect'), true, '끊기 is enabled once connected');

      // 홍길동 clicks Send; 고길동 answers with Enter in the message field.
      await hong.page.fill('#content', '안녕하세요.');
      await hong.page.click('#send');
      await expectRows(go.page, '고길동', ['고길동님이 입장했습니다.', '홍길동:안녕하세요.']);
      await go.page.fill('#content', '반갑습니다.');
      await go.page.press('#content', 'Enter');

      const hongRows = [
        '홍길동님이 입장했습니다.',
        '고길동님이 입장했습니다.',
        '홍길동:안녕하세요.',
        '고길동:반갑습니다.',
      ];
      const goRows = ['고길동님이 입장했습니다.', '홍길동:안녕하세요.', '고길동:반갑습니다.'];
      await expectRows(hong.page, '홍길동', hongRows);
      await expectRows(go.page, '고길동', goRows);

      // Markup in a message is shown as text, never run.
      await hong.page.fill('#content', XSS);
      await hong.page.click('#send');
      await expectRows(hong.page, '홍길동', [...hongRows, `홍길동:${XSS}`]);
      await expectRows(go.page, '고길동', [...goRows, `홍길동:${XSS}`]);
      await sleep(500); // an injected <img> would have fired onerror by now
      for (const [who, { page }] of [['홍길동', hong], ['고길동', go]]) {
        assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined', `${who}: the message ran as HTML`);
        assert.equal(await page.locator('#chat-messages img').count(), 0, `${who}: an <img> was injected`);
      }

      await sleep(200); // room for a duplicate row to show up
      assert.deepEqual(await rows(hong.page), [...hongRows, `홍길동:${XSS}`]);
      assert.deepEqual(await rows(go.page), [...goRows, `홍길동:${XSS}`]);

      await hong.page.screenshot({ path: path.join(RESULTS, 'browser-hong.png'), fullPage: true });
      await go.page.screenshot({ path: path.join(RESULTS, 'browser-go.png'), fullPage: true });

      // 끊기 brings the buttons back.
      for (const { page } of [hong, go]) {
        await page.click('#disconnect');
        assert.equal(await page.isEnabled('#connect'), true);
        assert.equal(await page.isDisabled('#disconnect'), true);
      }

      assert.deepEqual(problems, [], 'no page errors, console errors or failed requests');
    } finally {
      await hong.context.close();
      await go.context.close();
    }
  });
});
