// End-to-end: Server-Sent Events at /events over the same broker as STOMP.
// Messages SENT by the real @stomp/stompjs client reach (1) a raw HTTP
// client that parses text/event-stream itself and resumes with
// Last-Event-ID, and (2) an EventSource in Debian's Chromium.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import WebSocket from 'ws';
import { Client } from '@stomp/stompjs';
import { chromium } from 'playwright-core';
import { startServer, sleep, withTimeout, Waits } from './server.mjs';

// Node 20 has no global WebSocket; stompjs uses the global one.
Object.assign(globalThis, { WebSocket });

const WAIT_MS = 10_000;
const QUIET_MS = 300;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let server;
const cleanups = []; // run after the file, last first

before(async () => {
  server = await startServer();
});

after(async () => {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      console.error('cleanup:', err);
    }
  }
  if (server) await server.stop();
});

const serverLog = () => {
  const out = server ? server.logs() : '';
  return out.length > 4000 ? `...${out.slice(-4000)}` : out;
};

// A STOMP publisher: @stomp/stompjs over ws, every SEND with a receipt so
// that it has reached the broker's subscribers when publish resolves.
async function stompPublisher() {
  let receipts = 0;
  let ready;
  let failed;
  const connected = new Promise((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const client = new Client({
    brokerURL: server.wsURL,
    reconnectDelay: 0,
    onConnect: () => ready(),
    onStompError: (frame) => failed(new Error(`STOMP ERROR ${frame.headers.message}: ${frame.body}`)),
    onWebSocketError: (evt) => failed(new Error(`WebSocket error: ${evt?.message ?? evt}`)),
  });
  client.activate();
  cleanups.push(() => client.deactivate());
  await withTimeout(connected, WAIT_MS, 'the STOMP client to connect');
  return {
    async publish(destination, body, contentType = 'application/json') {
      const receipt = `sse-${++receipts}`;
      const got = new Promise((resolve) => client.watchForReceipt(receipt, resolve));
      client.publish({ destination, body, headers: { 'content-type': contentType, receipt } });
      await withTimeout(got, WAIT_MS, `RECEIPT ${receipt} for SEND to ${destination}`);
    },
  };
}

// A raw text/event-stream client on node:http: every block up to a blank
// line is recorded with its fields; lastId follows the id fields as an
// EventSource's last event id would.
function openStream(path, headers = {}) {
  const blocks = [];
  const waits = new Waits();
  const notify = () => waits.notify();
  let lastId = '';
  let ended = false;
  const req = http.get(`${server.url}${path}`, {
    agent: false,
    headers: { Accept: 'text/event-stream', ...headers },
  });
  const response = new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  response.then((res) => {
    res.setEncoding('utf8');
    let pending = '';
    let block = {};
    res.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        if (line === '') {
          if (Object.keys(block).length > 0) {
            if ('id' in block) lastId = block.id;
            blocks.push(block);
          }
          block = {};
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === '') (block.comments ??= []).push(value);
        else if (field === 'data') block.data = 'data' in block ? `${block.data}\n${value}` : value;
        else block[field] = value;
      }
      notify();
    });
    res.on('end', () => { ended = true; notify(); });
    res.on('error', () => { ended = true; notify(); });
  }, () => {});
  const stream = {
    blocks,
    get lastId() { return lastId; },
    get ended() { return ended; },
    // Blocks that are events (have data).
    events: () => blocks.filter((b) => 'data' in b),
    messages: () => blocks.filter((b) => 'data' in b && b.event === 'message'),
    response: () => withTimeout(response, WAIT_MS, `the response to GET ${path}`),
    waitFor(pred, what, ms = WAIT_MS) {
      return waits.until(() => pred(stream),
        () => new Error(`timed out after ${ms} ms waiting for ${what}; got blocks ${JSON.stringify(blocks)}\n--- stompbox output ---\n${serverLog()}`), ms);
    },
    // Resolves once the opening id line has come: from then on the stream
    // receives every message published.
    opened: () => stream.waitFor(() => blocks.some((b) => 'id' in b && !('data' in b)), 'the opening id line'),
    close: () => req.destroy(),
  };
  cleanups.push(stream.close);
  return stream;
}

// An event id is <epoch>-<number>.
function parseId(id) {
  const m = /^([A-Z2-7]+)-(\d+)$/.exec(id ?? '');
  assert.ok(m, `event id ${JSON.stringify(id)} is not <epoch>-<number>`);
  return { epoch: m[1], n: Number(m[2]) };
}

function assertIncreasing(ids, what) {
  const parsed = ids.map(parseId);
  for (let i = 1; i < parsed.length; i++) {
    assert.equal(parsed[i].epoch, parsed[0].epoch, `${what}: ids ${ids} of one epoch`);
    assert.ok(parsed[i].n > parsed[i - 1].n, `${what}: ids ${ids} increase`);
  }
}

const envelope = (n, destination) => ({
  destination,
  contentType: 'application/json',
  body: JSON.stringify({ n }),
});

describe('Server-Sent Events at /events', () => {
  test('a raw HTTP client gets STOMP messages, and resumes with Last-Event-ID', { timeout: 60_000 }, async () => {
    const dest = '/topic/sse-raw';
    const path = `/events?destination=${encodeURIComponent(dest)}`;
    const stomp = await stompPublisher();

    const first = openStream(path);
    const res = await first.response();
    assert.equal(res.statusCode, 200, `GET ${path}: ${res.statusCode}; is /events mounted?\n${serverLog()}`);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.equal(res.headers['x-accel-buffering'], 'no');
    await first.opened();
    assert.equal(first.blocks[0].retry, '2000', 'the stream opens with retry: 2000');

    for (let n = 1; n <= 3; n++) await stomp.publish(dest, JSON.stringify({ n }));
    await first.waitFor((s) => s.messages().length >= 3, '3 message events');
    await sleep(QUIET_MS);
    const got = first.events();
    assert.equal(got.length, 3, `exactly 3 events: ${JSON.stringify(got)}`);
    got.forEach((ev, i) => {
      assert.equal(ev.event, 'message');
      assert.deepEqual(JSON.parse(ev.data), envelope(i + 1, dest));
    });
    const ids = got.map((ev) => ev.id);
    assertIncreasing(ids, 'first stream');
    first.close();

    // Two more while nobody listens; then resume from the first id.
    for (let n = 4; n <= 5; n++) await stomp.publish(dest, JSON.stringify({ n }));
    const second = openStream(path, { 'Last-Event-ID': ids[0] });
    assert.equal((await second.response()).statusCode, 200);
    await second.opened();
    await second.waitFor((s) => s.messages().length >= 4, 'the 4 missed messages');
    await stomp.publish(dest, JSON.stringify({ n: 6 }));
    await second.waitFor((s) => s.messages().length >= 5, 'the live message 6');
    await sleep(QUIET_MS);
    const resumed = second.events();
    assert.deepEqual(resumed.map((ev) => ev.event), Array(5).fill('message'), `no gap or other events: ${JSON.stringify(resumed)}`);
    assert.deepEqual(resumed.map((ev) => JSON.parse(ev.data)), [2, 3, 4, 5, 6].map((n) => envelope(n, dest)),
      'exactly the missing messages in order, then the live one, no duplicates');
    assert.deepEqual(resumed.slice(0, 2).map((ev) => ev.id), ids.slice(1), 'replayed messages keep their ids');
    assertIncreasing([ids[0], ...resumed.map((ev) => ev.id)], 'resumed stream');
    // The replay comes before the opening id line, the live message after.
    const opening = second.blocks.findIndex((b) => 'id' in b && !('data' in b));
    assert.ok(second.blocks.indexOf(resumed[3]) < opening && opening < second.blocks.indexOf(resumed[4]),
      `replay, opening id, live: ${JSON.stringify(second.blocks)}`);
    second.close();

    // An id of another server (epoch) gets a gap event first.
    const third = openStream(path, { 'Last-Event-ID': 'AAAAAAAA-1' });
    await third.opened();
    const gap = third.events()[0];
    assert.equal(gap?.event, 'gap', `a gap event first: ${JSON.stringify(third.blocks)}`);
    assert.deepEqual(JSON.parse(gap.data), { destination: dest, lastEventId: 'AAAAAAAA-1' });
    third.close();

    // Refusals are plain HTTP errors.
    for (const [query, code] of [['', 400], ['?destination=/nowhere', 400], ['?destination=/queue/x', 400]]) {
      const s = openStream(`/events${query}`);
      assert.equal((await s.response()).statusCode, code, `GET /events${query}`);
      s.close();
    }
  });

  test('an EventSource in Chromium gets STOMP messages', { timeout: 120_000 }, async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM}: run \`make deps\` (apt-get install chromium) or set CHROMIUM_PATH`,
    );
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
      timeout: 30_000,
    });
    cleanups.push(() => browser.close());
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    const res = await page.goto(`${server.url}/classic/`, { waitUntil: 'load' });
    assert.equal(res.status(), 200);

    const dest = '/topic/sse-browser';
    const url = `/events?destination=${encodeURIComponent(dest)}`;
    // Opens an EventSource that records its message events in
    // window.__sse[key]; resolves once it is open (the server has begun the
    // stream, so it listens).
    const open = (key) => page.evaluate(([u, k]) => new Promise((resolve, reject) => {
      window.__sse ??= {};
      const got = (window.__sse[k] = []);
      const es = new EventSource(u);
      window.__es = es;
      es.onmessage = (e) => got.push({ data: e.data, lastEventId: e.lastEventId, type: e.type });
      es.addEventListener('gap', (e) => got.push({ data: e.data, lastEventId: e.lastEventId, type: 'gap' }));
      es.onopen = () => resolve();
      es.onerror = () => reject(new Error(`EventSource error, readyState ${es.readyState}`));
    }), [url, key]);
    const received = (key, n) => page.waitForFunction(([k, want]) => window.__sse[k].length >= want, [key, n], { timeout: WAIT_MS })
      .catch(async (err) => {
        throw new Error(`${key}: ${JSON.stringify(await page.evaluate((k) => window.__sse[k], key))}: ${err.message}\n${serverLog()}`);
      });
    const events = (key) => page.evaluate((k) => window.__sse[k], key);

    const stomp = await stompPublisher();
    await withTimeout(open('first'), WAIT_MS, 'the EventSource to open');
    for (let n = 1; n <= 3; n++) await stomp.publish(dest, JSON.stringify({ n }));
    await received('first', 3);
    await sleep(QUIET_MS);
    const first = await events('first');
    assert.equal(first.length, 3, JSON.stringify(first));
    first.forEach((ev, i) => {
      assert.equal(ev.type, 'message');
      assert.deepEqual(JSON.parse(ev.data), envelope(i + 1, dest));
    });
    assertIncreasing(first.map((ev) => ev.lastEventId), 'EventSource lastEventId');

    // A new EventSource (it cannot send Last-Event-ID) gets the live path.
    await page.evaluate(() => window.__es.close());
    await withTimeout(open('second'), WAIT_MS, 'the second EventSource to open');
    for (let n = 4; n <= 5; n++) await stomp.publish(dest, JSON.stringify({ n }));
    await received('second', 2);
    await sleep(QUIET_MS);
    const second = await events('second');
    assert.deepEqual(second.map((ev) => JSON.parse(ev.data)), [4, 5].map((n) => envelope(n, dest)),
      'only the messages published after it opened');
    assertIncreasing([...first, ...second].map((ev) => ev.lastEventId), 'lastEventId across EventSources');
    assert.equal((await events('first')).length, 3, 'the closed EventSource got nothing more');

    await page.evaluate(() => window.__es.close());
    await context.close();
    assert.deepEqual(problems, [], 'no page or console errors');
  });
});
