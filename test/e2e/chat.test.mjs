// End-to-end: the page's own client code (web/classic/chat.js) with the real
// @stomp/stompjs in Node, against bin/stompbox.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Client } from '@stomp/stompjs';
import { createChat, greetingLine, chatLine } from '../../web/classic/chat.js';
import { startServer, sleep, withTimeout, Waits } from './server.mjs';

// Node 20 has no global WebSocket; stompjs uses the global one.
Object.assign(globalThis, { WebSocket });

const WAIT_MS = 10_000;

// One person in the chat: createChat plus the lines they have seen.
function join(server, name) {
  const lines = [];
  const errors = [];
  const waits = new Waits();
  const notify = () => waits.notify();
  let connectedResolve;
  let connectedReject;
  const connected = new Promise((resolve, reject) => {
    connectedResolve = resolve;
    connectedReject = reject;
  });
  connected.catch(() => {}); // reported through connected() when awaited
  let disconnectedResolve;
  const disconnected = new Promise((resolve) => { disconnectedResolve = resolve; });

  const chat = createChat(Client, {
    brokerURL: server.wsURL,
    name,
    reconnectDelay: 0,
    onLine: (line) => {
      lines.push(line);
      notify();
    },
    onConnect: (frame) => connectedResolve(frame),
    onDisconnect: (event) => disconnectedResolve(event),
    onError: (message, detail) => {
      const text = detail === undefined ? message : `${message} ${String(detail?.message ?? detail)}`;
      errors.push(text);
      connectedReject(new Error(`${name}: ${text}`));
      notify();
    },
  });
  chat.activate();

  const describeState = () =>
    `${name} saw ${JSON.stringify(lines)}; errors ${JSON.stringify(errors)}\n--- stompbox output ---\n${server.logs()}`;

  return {
    name,
    lines,
    errors,
    chat,
    connected: () => withTimeout(connected, WAIT_MS, `${name} to connect`).catch((err) => {
      throw new Error(`${err.message}; ${describeState()}`);
    }),
    disconnected: () => withTimeout(disconnected, WAIT_MS, `${name}'s WebSocket to close`),
    // Resolves once pred(lines) holds; fails with what was seen otherwise.
    waitFor(pred, what, ms = WAIT_MS) {
      return waits.until(() => pred(lines),
        () => new Error(`timed out after ${ms} ms waiting for ${name} to see ${what}; ${describeState()}`), ms);
    },
    leave: () => chat.deactivate(),
  };
}

const has = (line) => (lines) => lines.includes(line);

// Raw WebSocket helpers for the handshake tests.
function openRaw(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`WebSocket to ${url} did not open within ${WAIT_MS} ms`));
    }, WAIT_MS);
    ws.once('open', () => { clearTimeout(timer); resolve(ws); });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(timer);
      reject(new Error(`WebSocket handshake refused: HTTP ${res.statusCode} ${res.statusMessage}`));
    });
    ws.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

function nextFrame(ws) {
  return withTimeout(new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(data.toString('utf8')));
    ws.once('close', (code, reason) => reject(new Error(`WebSocket closed (${code} ${reason}) before a frame arrived`)));
  }), WAIT_MS, 'a STOMP frame');
}

function closeRaw(ws) {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return withTimeout(new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close();
  }), WAIT_MS, 'the WebSocket to close').catch(() => ws.terminate());
}

describe('stompbox with the seed client (chat.js + @stomp/stompjs)', () => {
  let server;
  const people = [];
  const person = (name) => {
    const p = join(server, name);
    people.push(p);
    return p;
  };
  // 홍길동 joins, then 고길동: 홍길동's own greeting coming back shows that
  // his subscriptions are in place before 고길동 greets.
  const bothJoin = async () => {
    const hong = person('홍길동');
    await hong.connected();
    await hong.waitFor(has(greetingLine('홍길동')), 'his own greeting');
    const go = person('고길동');
    await go.connected();
    await go.waitFor(has(greetingLine('고길동')), 'his own greeting');
    await hong.waitFor(has(greetingLine('고길동')), '고길동\'s greeting');
    return { hong, go };
  };

  before(async () => {
    // The seed's lines spend the chat rate (20 at once, then 5 a second);
    // the burst test below sends 200 at once, so this server allows more.
    server = await startServer({ args: ['-chat-burst', '1000', '-chat-rate', '1000', '-lines-per-ip', '10000,10000'] });
  });

  after(async () => {
    await Promise.allSettled(people.map((p) => p.leave()));
    if (server) await server.stop();
  });

  test('GET /healthz is 200, / serves the app and /classic/ the seed\'s page', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();

    const app = await fetch(`${server.url}/`);
    assert.equal(app.status, 200, 'the Vue app is built into the binary (make build)');
    assert.match(app.headers.get('content-type'), /^text\/html/);
    const appHTML = await app.text();
    const scripts = [...appHTML.matchAll(/src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    assert.ok(scripts.length > 0, `the app page loads its bundle from /assets/: ${appHTML}`);
    assert.ok(!/https?:\/\//.test(appHTML), 'nothing from another origin');
    for (const path of scripts) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, `GET ${path}`);
      assert.match(res.headers.get('content-type'), /^text\/javascript/, `GET ${path}`);
      await res.arrayBuffer();
    }

    const page = await fetch(`${server.url}/classic/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    assert.equal(page.headers.get('content-security-policy'), "default-src 'self'; connect-src 'self' ws: wss:");
    const html = await page.text();
    assert.ok(html.includes('chat-messages'), 'the page has the chat-messages table');

    for (const path of ['/classic/chat.js', '/classic/app.js', '/classic/vendor/stomp.umd.min.js']) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, `GET ${path}`);
      assert.match(res.headers.get('content-type'), /^text\/javascript/, `GET ${path}`);
      await res.arrayBuffer();
    }
  });

  test('홍길동 and 고길동 join and exchange the seed\'s lines', async () => {
    const { hong, go } = await bothJoin();

    assert.deepEqual(hong.lines, ['홍길동님이 입장했습니다.', '고길동님이 입장했습니다.']);
    // 고길동 was not subscribed when 홍길동 greeted.
    assert.deepEqual(go.lines, ['고길동님이 입장했습니다.']);

    for (const p of [hong, go]) {
      assert.equal(p.chat.client.connectedVersion, '1.2', `${p.name} speaks STOMP 1.2`);
      assert.equal(p.chat.client.webSocket.protocol, 'v12.stomp', `${p.name}'s WebSocket subprotocol`);
    }

    const hello = chatLine('홍길동', '안녕하세요.');
    assert.equal(hello, '홍길동:안녕하세요.');
    assert.equal(hong.chat.send('안녕하세요.'), true);
    await hong.waitFor(has(hello), hello);
    await go.waitFor(has(hello), hello);

    const reply = chatLine('고길동', '반갑습니다.');
    assert.equal(reply, '고길동:반갑습니다.');
    assert.equal(go.chat.send('반갑습니다.'), true);
    await hong.waitFor(has(reply), reply);
    await go.waitFor(has(reply), reply);

    await sleep(300); // room for a duplicate to show up
    assert.deepEqual(hong.lines, [
      '홍길동님이 입장했습니다.',
      '고길동님이 입장했습니다.',
      '홍길동:안녕하세요.',
      '고길동:반갑습니다.',
    ]);
    assert.deepEqual(go.lines, [
      '고길동님이 입장했습니다.',
      '홍길동:안녕하세요.',
      '고길동:반갑습니다.',
    ]);
    assert.deepEqual(hong.errors, []);
    assert.deepEqual(go.errors, []);

    await hong.leave();
    await go.leave();
  });

  test('a burst of 200 lines arrives exactly once, in order', async () => {
    const { hong, go } = await bothJoin();

    const N = 200;
    const sent = [];
    for (let i = 1; i <= N; i++) {
      const content = `메시지 ${String(i).padStart(3, '0')}`;
      assert.equal(go.chat.send(content), true);
      sent.push(chatLine('고길동', content));
    }
    const burst = (lines) => lines.filter((l) => l.startsWith('고길동:메시지 '));
    await hong.waitFor((lines) => burst(lines).length >= N, `${N} burst lines`);
    await go.waitFor((lines) => burst(lines).length >= N, `${N} burst lines`);
    await sleep(300);
    assert.deepEqual(burst(hong.lines), sent, '홍길동 received every line once, in order');
    assert.deepEqual(burst(go.lines), sent, '고길동 received every line once, in order');
    assert.deepEqual(hong.errors, []);
    assert.deepEqual(go.errors, []);

    await hong.leave();
    await go.leave();
  });

  test('the seed\'s handshake (v10.stomp, v11.stomp) gets v11.stomp and a STOMP 1.1 session', async () => {
    const ws = await openRaw(server.wsURL, ['v10.stomp', 'v11.stomp']);
    try {
      assert.equal(ws.protocol, 'v11.stomp');
      const reply = nextFrame(ws);
      ws.send('CONNECT\naccept-version:1.0,1.1\nhost:127.0.0.1\n\n\0');
      const frame = await reply;
      assert.match(frame, /^CONNECTED\r?\n/, `got ${JSON.stringify(frame)}`);
      assert.match(frame, /\nversion:1\.1\r?\n/, `got ${JSON.stringify(frame)}`);
    } finally {
      await closeRaw(ws);
    }
  });

  test('the highest offered subprotocol is chosen, whatever the order', async () => {
    for (const [offered, want] of [
      [['v10.stomp'], 'v10.stomp'],
      [['v11.stomp', 'v10.stomp'], 'v11.stomp'],
      [['v10.stomp', 'v12.stomp', 'v11.stomp'], 'v12.stomp'],
    ]) {
      const ws = await openRaw(server.wsURL, offered);
      try {
        assert.equal(ws.protocol, want, `offered ${offered.join(', ')}`);
      } finally {
        await closeRaw(ws);
      }
    }
  });

  test('a WebSocket without a subprotocol is accepted', async () => {
    const ws = await openRaw(server.wsURL);
    try {
      assert.equal(ws.protocol, '');
      const reply = nextFrame(ws);
      ws.send('CONNECT\naccept-version:1.2\nhost:127.0.0.1\n\n\0');
      const frame = await reply;
      assert.match(frame, /^CONNECTED\r?\n/, `got ${JSON.stringify(frame)}`);
      assert.match(frame, /\nversion:1\.2\r?\n/, `got ${JSON.stringify(frame)}`);
    } finally {
      await closeRaw(ws);
    }
  });
});

describe('stompbox shutdown', () => {
  test('SIGTERM closes connected clients and exits 0', async () => {
    const server = await startServer();
    const hong = join(server, '홍길동');
    try {
      await hong.connected();
      await hong.waitFor(has(greetingLine('홍길동')), 'his own greeting');
      const closed = hong.disconnected();
      await server.stop();
      await closed;
    } finally {
      await hong.leave();
    }
  });
});
