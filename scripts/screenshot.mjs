// Makes docs/screenshot.png (and docs/screenshot-phone.png): three people
// chat in bin/stompbox's app, in Debian's Chromium. Run with `make
// screenshot` after `make build`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, repoRoot, sleep } from '../test/e2e/server.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const out = (name) => path.join(repoRoot, 'docs', name);

const server = await startServer({ args: ['-data', mkdtempSync(path.join(tmpdir(), 'stompbox-shot-'))] });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const open = async (name, viewport) => {
    const context = await browser.newContext({ viewport, locale: 'ko-KR', deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByTestId('name-input').fill(name);
    await page.getByTestId('connect').click();
    await page.waitForSelector('[data-testid="connection"][data-state="connected"]');
    return page;
  };
  const say = async (page, text) => {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('send').click();
    await page.getByTestId('message').filter({ hasText: text }).first().waitFor();
  };

  const hong = await open('홍길동', { width: 1280, height: 800 });
  const go = await open('고길동', { width: 390, height: 844 });
  const dooly = await open('둘리', { width: 1024, height: 700 });
  for (const room of ['개발', '디자인']) {
    await hong.getByTestId('room-create-input').fill(room);
    await hong.getByTestId('room-create').click();
    await hong.getByTestId('room').filter({ hasText: room }).first().waitFor();
  }
  await hong.getByTestId('room').filter({ hasText: 'lobby' }).first().click();
  await say(hong, '안녕하세요! 오늘 배포 일정 공유드립니다.');
  await say(go, '@홍길동 몇 시에 시작하나요?');
  await say(hong, '오후 3시에 시작해요. 리뷰는 #개발 방에서 할게요.');
  await say(dooly, '저도 참여할게요. <script>는 그냥 글자로 보여요 😄');
  await say(go, '좋아요, 그럼 이따 봬요!');
  // 둘리 starts typing so the indicator shows (the app sends one typing
  // event every 2 s at most, and 둘리 typed a line just now).
  await sleep(2100);
  await dooly.getByTestId('message-input').pressSequentially('곧 갈', { delay: 40 });
  await hong.getByTestId('typing').filter({ hasText: '둘리' }).waitFor();
  await sleep(300);
  await hong.screenshot({ path: out('screenshot.png') });
  await go.screenshot({ path: out('screenshot-phone.png') });
  console.log(`wrote ${out('screenshot.png')} and ${out('screenshot-phone.png')}`);
} finally {
  await browser.close();
  await server.stop();
}
