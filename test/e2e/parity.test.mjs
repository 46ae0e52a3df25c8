// The Spring parity example (examples/parity, bin/parity) driven by the real
// @stomp/stompjs Client in Node: destination variables and patterns, user
// destinations (@SendToUser, broadcast=false, /user/{name}/...), a
// @SubscribeMapping reply, an application error sent to
// /user/queue/errors, a SUBSCRIBE refused by an interceptor, session events,
// pushes from the server, and the user registry over HTTP.
//
// Each test gets its own bin/parity, so the user registry and the event
// stream hold only that test's clients. Users are named by the CONNECT
// login header.
//
// Every wait is bounded (WAIT_MS) and fails with what each client saw and
// the server's log. The only sleeps are bounded "nothing more arrives"
// checks (QUIET_MS).
import http from 'node:http';
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, repoRoot, sleep, withTimeout } from './server.mjs';
import { createHarness, describeFrame, bodies, WAIT_MS } from './peer.mjs';

const QUIET_MS = 300;
const CLOCK = '100ms';
const parity = path.join(repoRoot, 'bin', 'parity');

let server; // this test's bin/parity
const { peers, failure, connectPeer, closeAll } = createHarness(() => server);

const destinations = (sub) => sub.messages.map((m) => m.headers.destination);

// Parses a MESSAGE body as JSON, failing with the frame if it is not.
function json(m) {
  try {
    return JSON.parse(m.body);
  } catch (err) {
    throw failure(`a MESSAGE body is not JSON (${err.message}): ${describeFrame(m)}`);
  }
}

// Asserts that no client got an ERROR, lost its connection, or got a
// MESSAGE for none of its subscriptions.
function assertAllHealthy() {
  for (const p of peers) {
    assert.deepEqual(p.stompErrors.map(describeFrame), [], `${p.name} got no ERROR\n${p.state()}`);
    assert.equal(p.closed, false, `${p.name} is still connected\n${p.state()}`);
    assert.deepEqual(p.unhandled.map(describeFrame), [], `${p.name} got no MESSAGE outside its subscriptions`);
  }
}

async function getUsers() {
  const res = await withTimeout(fetch(`${server.url}/users`), WAIT_MS, 'GET /users');
  assert.equal(res.status, 200, 'GET /users status');
  const text = await withTimeout(res.text(), WAIT_MS, 'the GET /users body');
  return text === '' ? [] : text.split('\n');
}

beforeEach(async () => {
  server = await startServer({ binary: parity, args: ['-clock', CLOCK] });
});

afterEach(async () => {
  await closeAll();
  const s = server;
  server = undefined;
  if (s) await s.stop(); // SIGTERM, and a clean exit is required
});

describe('destination variables and patterns', () => {
  test('/app/rooms/{room}/chat goes to /topic/rooms.{room} with the sender\'s login as name; /topic/rooms.* sees every room', async () => {
    const exact = await connectPeer('exact', { login: 'lobbyist' });
    const pattern = await connectPeer('pattern', { login: 'roamer' });
    const sender = await connectPeer('sender', { login: 'hong' });
    assert.equal(sender.connectedFrame.headers['user-name'], 'hong', 'CONNECTED user-name is the login');
    const lobby = await exact.subscribe('/topic/rooms.lobby');
    const rooms = await pattern.subscribe('/topic/rooms.*');

    await sender.publish({
      destination: '/app/rooms/lobby/chat',
      body: JSON.stringify({ name: 'forged', content: 'hi' }),
      headers: { 'content-type': 'application/json' },
    }, { receipt: true });
    await exact.messages(lobby, 1, 'the lobby chat message on /topic/rooms.lobby');
    await pattern.messages(rooms, 1, 'the lobby chat message on /topic/rooms.*');
    const want = { room: 'lobby', name: 'hong', content: 'hi' };
    assert.deepEqual(json(lobby.messages[0]), want, 'the exact subscriber gets the room from the path and the sender\'s login, not the forged name');
    assert.deepEqual(json(rooms.messages[0]), want, 'the pattern subscriber gets the same');
    assert.equal(lobby.messages[0].headers.destination, '/topic/rooms.lobby');
    assert.equal(rooms.messages[0].headers.destination, '/topic/rooms.lobby', 'a pattern subscriber sees the concrete destination');
    assert.equal(lobby.messages[0].headers.subscription, lobby.id);
    assert.equal(rooms.messages[0].headers.subscription, rooms.id);

    await sender.publish({
      destination: '/app/rooms/kitchen/chat',
      body: JSON.stringify({ name: 'forged', content: 'in the kitchen' }),
      headers: { 'content-type': 'application/json' },
    }, { receipt: true });
    await pattern.messages(rooms, 2, 'the kitchen chat message on /topic/rooms.*');
    assert.deepEqual(json(rooms.messages[1]), { room: 'kitchen', name: 'hong', content: 'in the kitchen' });
    assert.equal(rooms.messages[1].headers.destination, '/topic/rooms.kitchen');

    await sleep(QUIET_MS);
    assert.deepEqual(destinations(lobby), ['/topic/rooms.lobby'], `the kitchen message does not reach /topic/rooms.lobby\n${exact.state()}`);
    assert.deepEqual(destinations(rooms), ['/topic/rooms.lobby', '/topic/rooms.kitchen'], 'nothing more reaches the pattern subscriber');
    assertAllHealthy();
  });
});

describe('user destinations', () => {
  test('@SendToUser reaches every tab of the sender, broadcast=false only the sending tab, /user/{name}/... only that user', async () => {
    const tab1 = await connectPeer('hong-tab1', { login: 'hong' });
    const tab2 = await connectPeer('hong-tab2', { login: 'hong' });
    const go = await connectPeer('go', { login: 'go' });
    assert.equal(tab1.connectedFrame.headers['user-name'], 'hong');
    assert.equal(tab2.connectedFrame.headers['user-name'], 'hong');
    assert.equal(go.connectedFrame.headers['user-name'], 'go');
    assert.notEqual(tab1.session, tab2.session, 'two tabs are two sessions');
    const r1 = await tab1.subscribe('/user/queue/reply');
    const r2 = await tab2.subscribe('/user/queue/reply');
    const rg = await go.subscribe('/user/queue/reply');

    // @SendToUser("/queue/reply"): every session of the user.
    await tab1.publish({ destination: '/app/whoami', body: '' }, { receipt: true });
    await tab1.messages(r1, 1, 'whoami\'s reply in the sending tab');
    await tab2.messages(r2, 1, 'whoami\'s reply in hong\'s other tab');
    for (const [sub, who] of [[r1, 'tab 1'], [r2, 'tab 2']]) {
      assert.equal(sub.messages[0].body, 'hong', `${who}: body`);
      assert.equal(sub.messages[0].headers.destination, '/user/queue/reply', `${who}: destination header`);
      assert.equal(sub.messages[0].headers.subscription, sub.id, `${who}: subscription header`);
    }
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(rg), [], `go receives nothing of hong's whoami\n${go.state()}`);
    assert.deepEqual(bodies(r1), ['hong']);
    assert.deepEqual(bodies(r2), ['hong']);

    // @SendToUser(broadcast=false): only the session that sent.
    await tab2.publish({ destination: '/app/ping', body: '' }, { receipt: true });
    await tab2.messages(r2, 2, 'pong in the tab that pinged');
    assert.equal(r2.messages[1].body, 'pong');
    assert.equal(r2.messages[1].headers.destination, '/user/queue/reply');
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(r1), ['hong'], `broadcast=false: tab 1 gets no pong\n${tab1.state()}`);
    assert.deepEqual(bodies(r2), ['hong', 'pong']);
    assert.deepEqual(bodies(rg), [], `go gets no pong\n${go.state()}`);

    // A client SEND to /user/go/queue/reply: go's sessions only.
    await tab1.publish({ destination: '/user/go/queue/reply', body: 'hello go' }, { receipt: true });
    await go.messages(rg, 1, 'the message hong sent to /user/go/queue/reply');
    assert.equal(rg.messages[0].body, 'hello go');
    assert.equal(rg.messages[0].headers.destination, '/user/queue/reply', 'go sees the destination it subscribed to');
    assert.equal(rg.messages[0].headers.subscription, rg.id);
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(r1), ['hong'], 'hong\'s tab 1 gets nothing sent to go');
    assert.deepEqual(bodies(r2), ['hong', 'pong'], 'hong\'s tab 2 gets nothing sent to go');
    assert.deepEqual(bodies(rg), ['hello go']);
    assertAllHealthy();
  });
});

describe('subscribe-mapped reply', () => {
  test('SUBSCRIBE /app/rooms/{room}/info is answered once, to that subscriber only, with the online users', async () => {
    const hong = await connectPeer('hong', { login: 'hong' });
    const go = await connectPeer('go', { login: 'go' });
    // Where a wrongly routed reply could land.
    const others = [];
    for (const p of [hong, go]) {
      for (const d of ['/user/queue/reply', '/topic/rooms/lobby/info', '/topic/rooms.lobby', '/topic/rooms.*']) {
        others.push({ peer: p, sub: await p.subscribe(d) });
      }
    }

    const watcher = await connectPeer('watcher', { login: 'watcher' });
    const info = await watcher.subscribe('/app/rooms/lobby/info', {}, { receipt: false });
    await watcher.messages(info, 1, 'the @SubscribeMapping reply');
    const m = info.messages[0];
    assert.deepEqual(json(m), { room: 'lobby', online: ['go', 'hong', 'watcher'] }, `the reply: ${describeFrame(m)}`);
    assert.equal(m.headers.subscription, info.id, 'the reply comes on the subscription');
    assert.equal(m.headers.destination, '/app/rooms/lobby/info', 'the reply names the subscribed destination');

    // A second subscriber gets its own reply; the first gets no second one.
    const late = await connectPeer('late', { login: 'late' });
    const info2 = await late.subscribe('/app/rooms/lobby/info');
    await late.messages(info2, 1, 'the second subscriber\'s reply');
    assert.deepEqual(json(info2.messages[0]), { room: 'lobby', online: ['go', 'hong', 'late', 'watcher'] });

    await sleep(QUIET_MS);
    assert.equal(info.messages.length, 1, `the first subscriber was answered exactly once\n${watcher.state()}`);
    assert.equal(info2.messages.length, 1, `the second subscriber was answered exactly once\n${late.state()}`);
    for (const { peer, sub } of others) {
      assert.deepEqual(bodies(sub), [], `${peer.name} gets nothing on ${sub.destination}\n${peer.state()}`);
    }
    assertAllHealthy();
  });
});

describe('application errors', () => {
  test('a handler\'s error goes as JSON to the sender\'s /user/queue/errors only; the connection stays open', async () => {
    const tab1 = await connectPeer('hong-tab1', { login: 'hong' });
    const tab2 = await connectPeer('hong-tab2', { login: 'hong' });
    const go = await connectPeer('go', { login: 'go' });
    const e1 = await tab1.subscribe('/user/queue/errors');
    const e2 = await tab2.subscribe('/user/queue/errors');
    const eg = await go.subscribe('/user/queue/errors');
    const reply = await tab1.subscribe('/user/queue/reply');

    await tab1.publish({ destination: '/app/rooms/lobby/close', body: '' }, { receipt: true });
    await tab1.messages(e1, 1, 'the error reply on /user/queue/errors');
    assert.deepEqual(json(e1.messages[0]), {
      destination: '/app/rooms/lobby/close',
      code: 'forbidden',
      message: 'only the owner may close lobby',
    }, `the error reply: ${describeFrame(e1.messages[0])}`);
    assert.equal(e1.messages[0].headers.destination, '/user/queue/errors');

    // The session goes on: it can still send and be answered.
    await tab1.publish({ destination: '/app/whoami', body: '' }, { receipt: true });
    await tab1.messages(reply, 1, 'whoami\'s reply after the application error');
    assert.deepEqual(bodies(reply), ['hong']);

    await sleep(QUIET_MS);
    assert.equal(e1.messages.length, 1, 'one error reply');
    assert.deepEqual(bodies(e2), [], `hong's other tab gets no error reply\n${tab2.state()}`);
    assert.deepEqual(bodies(eg), [], `go gets no error reply\n${go.state()}`);
    assertAllHealthy();
  });
});

describe('subscribe interceptor', () => {
  test('hong subscribing to /topic/admin.log gets ERROR access denied and is disconnected; admin may subscribe', async () => {
    const admin = await connectPeer('admin', { login: 'admin' });
    const hong = await connectPeer('hong', { login: 'hong' });

    hong.client.subscribe('/topic/admin.log', (m) => {
      hong.log(`<<< (admin.log) ${describeFrame(m)}`);
    });
    hong.log('>>> SUBSCRIBE /topic/admin.log');
    await hong.waitFor(() => hong.stompErrors.length > 0, 'an ERROR for the denied SUBSCRIBE', { allowError: true });
    const err = hong.stompErrors[0];
    assert.equal(err.command, 'ERROR');
    assert.equal(err.headers.message, 'access denied', `the ERROR's message header: ${describeFrame(err)}`);
    assert.match(err.body, /\/topic\/admin\.log/, `the ERROR's body names the destination: ${describeFrame(err)}`);
    assert.match(err.body, /admins only/, `the ERROR's body gives the interceptor's reason: ${describeFrame(err)}`);
    await hong.waitFor(() => hong.closed, 'the server to close the connection after the ERROR', { allowError: true });
    assert.equal(hong.stompErrors.length, 1, 'one ERROR');

    const log = await admin.subscribe('/topic/admin.log');
    await admin.publish({ destination: '/topic/admin.log', body: 'for admins' }, { receipt: true });
    await admin.messages(log, 1, 'admin\'s message on /topic/admin.log');
    assert.deepEqual(bodies(log), ['for admins']);
    assert.equal(log.messages[0].headers.destination, '/topic/admin.log');
    assert.deepEqual(admin.stompErrors.map(describeFrame), []);
    assert.equal(admin.closed, false, 'admin was not disturbed by hong\'s denial');
  });
});

describe('session events', () => {
  test('connected, subscribed and exactly one disconnected, for a clean DISCONNECT and for a killed socket', async () => {
    const observer = await connectPeer('observer', { login: 'observer' });
    const events = await observer.subscribe('/topic/events');
    const notes = () => events.messages.map(json);
    const of = (session) => notes().filter((n) => n.session === session);
    const count = (session, type) => of(session).filter((n) => n.type === type).length;

    // A: connects, subscribes, DISCONNECTs.
    const a = await connectPeer('clean', { login: 'clean' });
    const aSession = a.session;
    assert.ok(aSession, 'CONNECTED carries a session id');
    await a.subscribe('/topic/x');
    await observer.waitFor(() => count(aSession, 'subscribed') >= 1, `a subscribed event for session ${aSession}`);
    await a.close(); // stompjs sends DISCONNECT
    assert.deepEqual(a.stompErrors.map(describeFrame), [], `clean got no ERROR\n${a.state()}`);
    await observer.waitFor(() => count(aSession, 'disconnected') >= 1, `a disconnected event for session ${aSession}`);

    // B: connects, then its socket dies without DISCONNECT.
    const b = await connectPeer('killed', { login: 'killed' });
    const bSession = b.session;
    assert.ok(bSession);
    assert.notEqual(bSession, aSession);
    await observer.waitFor(() => count(bSession, 'connected') >= 1, `a connected event for session ${bSession}`);
    b.log('terminating the WebSocket (no DISCONNECT, no close frame)');
    b.client.webSocket.terminate();
    await observer.waitFor(() => count(bSession, 'disconnected') >= 1, `a disconnected event for session ${bSession}`);

    await sleep(QUIET_MS);
    assert.deepEqual(of(aSession), [
      { type: 'connected', user: 'clean', session: aSession },
      { type: 'subscribed', user: 'clean', session: aSession, destination: '/topic/x' },
      { type: 'disconnected', user: 'clean', session: aSession },
    ], `clean's events, in order\n${observer.state()}`);
    assert.deepEqual(of(bSession), [
      { type: 'connected', user: 'killed', session: bSession },
      { type: 'disconnected', user: 'killed', session: bSession },
    ], `killed's events, in order\n${observer.state()}`);
    assert.deepEqual(notes().filter((n) => n.session !== aSession && n.session !== bSession), [],
      'no events for other sessions (the observer\'s own subscription is not reported)');
    for (const m of events.messages) assert.equal(m.headers.destination, '/topic/events');
    assert.deepEqual(observer.stompErrors.map(describeFrame), []);
    assert.equal(observer.closed, false);
  });
});

describe('server push', () => {
  test('/topic/clock gets at least 3 RFC 3339 times within 2 s', async () => {
    const a = await connectPeer('clock', { login: 'clock' });
    const start = Date.now();
    const clock = await a.subscribe('/topic/clock');
    await a.messages(clock, 3, 'three pushes on /topic/clock', { ms: 2000 - (Date.now() - start) });
    const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
    let prev = -Infinity;
    for (const m of clock.messages.slice(0, 3)) {
      assert.equal(m.headers.destination, '/topic/clock');
      const body = json(m);
      assert.deepEqual(Object.keys(body), ['time'], `the push has only a time: ${m.body}`);
      assert.match(body.time, rfc3339, `the time is RFC 3339: ${m.body}`);
      const t = Date.parse(body.time);
      assert.ok(Math.abs(t - Date.now()) < 60_000, `the time is now: ${body.time}`);
      assert.ok(t >= prev, `times do not go backwards: ${bodies(clock).join(' ')}`);
      prev = t;
    }
    assertAllHealthy();
  });
});

describe('Server-Sent Events on the same broker and rule', () => {
  // Reads an event stream until n events of type message arrived.
  const readEvents = (url, n) => new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
        return;
      }
      let buf = '';
      const events = [];
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
          if (/^event: message$/m.test(block) && data) events.push(JSON.parse(data));
          if (events.length >= n) {
            req.destroy();
            resolve({ status: 200, events });
            return;
          }
        }
      });
    });
    req.on('error', (err) => { if (err.code !== 'ECONNRESET') reject(err); });
    setTimeout(() => { req.destroy(); reject(new Error(`timed out waiting for ${n} events from ${url}`)); }, WAIT_MS);
  });

  test('the clock push reaches an SSE listener too', async () => {
    const { status, events } = await readEvents(`${server.url}/events?destination=/topic/clock`, 2);
    assert.equal(status, 200);
    for (const e of events) {
      assert.equal(e.destination, '/topic/clock');
      assert.match(JSON.parse(e.body).time, /^\d{4}-\d{2}-\d{2}T/);
    }
  });

  test('the SUBSCRIBE rule applies to SSE: /topic/admin.log is refused with 403 naming it', async () => {
    const { status, text } = await readEvents(`${server.url}/events?destination=/topic/admin.log`, 1);
    assert.equal(status, 403);
    assert.match(text, /\/topic\/admin\.log/);
    assert.match(text, /admins only/);
  });
});

describe('user registry over HTTP', () => {
  test('GET /users lists the online users, one per line, sorted', async () => {
    const observer = await connectPeer('observer', { login: 'observer' });
    const events = await observer.subscribe('/topic/events');
    const hong = await connectPeer('hong', { login: 'hong' });
    const hong2 = await connectPeer('hong-tab2', { login: 'hong' });
    const go = await connectPeer('go', { login: 'go' });
    assert.deepEqual(await getUsers(), ['go', 'hong', 'observer'], 'each user once, sorted');

    // Once hong's last session has ended, hong is gone.
    await hong.close();
    assert.deepEqual(await getUsers(), ['go', 'hong', 'observer'], 'hong still has a tab open');
    await hong2.close();
    const ended = (p) => events.messages.map(json).some((n) => n.session === p.session && n.type === 'disconnected');
    await observer.waitFor(() => ended(hong) && ended(hong2), 'disconnected events for both of hong\'s sessions');
    assert.deepEqual(await getUsers(), ['go', 'observer'], 'hong is gone once both tabs are closed');
    assert.equal(go.closed, false);
  });
});
