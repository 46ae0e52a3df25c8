// End-to-end: every rule of the chat API (docs/chat-protocol.md) with the
// real @stomp/stompjs in Node against bin/stompbox.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startServer, sleep } from './server.mjs';
import { createHarness, Peer } from './peer.mjs';

// Node 20 has no global WebSocket; stompjs uses the global one.
Object.assign(globalThis, { WebSocket });

const secret = () => randomBytes(32).toString('hex');
const json = (m) => JSON.parse(m.body);
const lines = (s) => (Array.isArray(s) ? s : s.messages).map(json);

let server;
const harness = createHarness(() => server);

// A client logged in as name with passcode (none: no passcode header).
function connect(name, passcode, label = name) {
  const connectHeaders = { login: name };
  if (passcode !== undefined) connectHeaders.passcode = passcode;
  return harness.connectPeer(label, { login: name, connectHeaders });
}

// A client whose CONNECT must be refused; resolves with the ERROR frame.
async function refused(name, passcode) {
  const connectHeaders = { login: name };
  if (passcode !== undefined) connectHeaders.passcode = passcode;
  const p = new Peer(harness, `refused ${name}`, { login: name, connectHeaders });
  await p.waitFor(() => p.stompErrors[0], 'an ERROR for the CONNECT', { allowError: true });
  return p.stompErrors[0];
}

// SUBSCRIBE to an /app destination, return its one answer, UNSUBSCRIBE.
async function ask(peer, destination, headers = {}) {
  const sub = await peer.subscribe(destination, headers);
  const [m] = await peer.messages(sub, 1, `the answer on ${destination}`);
  sub.handle.unsubscribe();
  return json(m);
}

async function say(peer, room, content, { clientId, receipt = true } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (clientId) headers['client-id'] = clientId;
  await peer.publish({ destination: `/app/rooms/${room}/chat`, body: JSON.stringify({ content }), headers }, { receipt });
}

// The next error on peer's /user/queue/errors sub.
async function nextError(peer, errs, n) {
  const got = await peer.messages(errs, n, `error #${n} on /user/queue/errors`);
  return json(got[n - 1]);
}

function uniqueRoom(prefix) {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

describe('chat API', () => {
  const data = mkdtempSync(path.join(tmpdir(), 'stompbox-chat-api-'));
  const args = ['-data', data, '-chat-burst', '1000', '-chat-rate', '1000', '-lines-per-ip', '10000,10000', '-rooms-per-ip', '1000,1000'];

  before(async () => { server = await startServer({ args }); });
  afterEach(() => harness.closeAll());
  after(async () => { await harness.closeAll(); await server?.stop(); });

  test('a line is stamped by the server: name from the session, id increasing in the room, ts', async () => {
    const room = uniqueRoom('stamp');
    const a = await connect('홍길동', secret());
    const watch = await a.subscribe(`/topic/rooms.${room}`);
    const t0 = Date.now();
    await a.publish({
      destination: `/app/rooms/${room}/chat`,
      body: JSON.stringify({ content: '안녕하세요 <b>반가워요</b>', name: '고길동', id: 999, ts: 1 }),
      headers: { 'content-type': 'application/json' },
    }, { receipt: true });
    await say(a, room, '두 번째');
    const got = lines(await a.messages(watch, 2));
    assert.deepEqual(Object.keys(got[0]).sort(), ['content', 'id', 'name', 'room', 'ts']);
    assert.equal(got[0].name, '홍길동', 'the name comes from the session, never from the body');
    assert.equal(got[0].content, '안녕하세요 <b>반가워요</b>');
    assert.equal(got[0].room, room);
    assert.equal(got[0].id, 1, 'ids start at 1 in a new room, whatever the body said');
    assert.equal(got[1].id, 2);
    assert.ok(got[0].ts >= t0 - 1000 && got[0].ts <= Date.now() + 1000, `ts ${got[0].ts} is now`);
    // Another room counts its own ids.
    const other = uniqueRoom('stamp-other');
    const w2 = await a.subscribe(`/topic/rooms.${other}`);
    await say(a, other, 'x');
    assert.equal(lines(await a.messages(w2, 1))[0].id, 1);
  });

  test('history: the latest 50, before/limit pages, after catches up, limit capped at 200', async () => {
    const room = uniqueRoom('paging');
    const a = await connect('pager', secret());
    for (let i = 1; i <= 210; i++) await say(a, room, `line ${i}`, { receipt: i % 30 === 0 || i === 210 });
    const ids = (page) => page.map((l) => l.id);
    const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    const latest = await ask(a, `/app/rooms/${room}/history`);
    assert.deepEqual(ids(latest), range(161, 210), 'no headers: the latest 50, oldest first');
    assert.equal(latest[0].content, 'line 161');
    assert.deepEqual(ids(await ask(a, `/app/rooms/${room}/history`, { before: '161', limit: '5' })), range(156, 160));
    assert.deepEqual(ids(await ask(a, `/app/rooms/${room}/history`, { before: '3', limit: '5' })), [1, 2]);
    assert.deepEqual(ids(await ask(a, `/app/rooms/${room}/history`, { after: '205' })), range(206, 210));
    assert.deepEqual(ids(await ask(a, `/app/rooms/${room}/history`, { after: '10', limit: '3' })), [11, 12, 13]);
    assert.deepEqual(ids(await ask(a, `/app/rooms/${room}/history`, { after: '210' })), []);
    assert.deepEqual(ids(await ask(a, `/app/rooms/${room}/history`, { limit: '500' })), range(11, 210), 'limit is capped at 200');
    assert.deepEqual(await ask(a, `/app/rooms/${uniqueRoom('empty')}/history`), [], 'a room with no lines answers []');

    // The same pages over HTTP, for the live view.
    const res = await fetch(`${server.url}/api/rooms/${encodeURIComponent(room)}/messages?before=100&limit=2`);
    assert.equal(res.status, 200);
    assert.deepEqual(ids(await res.json()), [98, 99]);
    const bad = await fetch(`${server.url}/api/rooms/${encodeURIComponent(room)}/messages?limit=-1`);
    assert.equal(bad.status, 400);
  });

  test('presence: a second tab is not a second member; a socket that dies is a leave', async () => {
    const room = uniqueRoom('presence');
    const pass = secret();
    const watcher = await connect('watcher', secret());
    const events = await watcher.subscribe(`/topic/rooms.${room}.members`);
    await watcher.subscribe(`/topic/rooms.${room}`);
    await watcher.messages(events, 1, 'the watcher\'s own join');

    const tab1 = await connect('둘리', pass, 'tab1');
    await tab1.subscribe(`/topic/rooms.${room}`);
    await watcher.messages(events, 2, 'the join of 둘리');
    const tab2 = await connect('둘리', pass, 'tab2');
    await tab2.subscribe(`/topic/rooms.${room}`);
    const members = await ask(watcher, `/app/rooms/${room}/members`);
    assert.deepEqual(members, [{ name: 'watcher' }, { name: '둘리' }].sort((x, y) => (x.name < y.name ? -1 : 1)), 'each name once');
    assert.deepEqual(lines(events), [{ type: 'join', name: 'watcher' }, { type: 'join', name: '둘리' }], 'no join for the second tab');

    await tab1.close();
    await sleep(300);
    assert.equal(events.messages.length, 2, `no leave while a tab remains: ${JSON.stringify(lines(events))}`);

    tab2.client.webSocket.terminate(); // no DISCONNECT, no close frame
    await watcher.messages(events, 3, 'the leave of 둘리');
    assert.deepEqual(lines(events)[2], { type: 'leave', name: '둘리' });
    assert.deepEqual(await ask(watcher, `/app/rooms/${room}/members`), [{ name: 'watcher' }]);
  });

  test('rooms: made by SEND /app/rooms, by joining, by posting; listed and announced', async () => {
    const a = await connect('방장', secret());
    const announced = await a.subscribe('/topic/rooms');
    const made = uniqueRoom('made');
    await a.publish({ destination: '/app/rooms', body: JSON.stringify({ name: made }) }, { receipt: true });
    const joined = uniqueRoom('joined');
    await a.subscribe(`/topic/rooms.${joined}`);
    const posted = uniqueRoom('posted');
    await say(a, posted, 'first');
    await a.messages(announced, 3, 'three announcements');
    assert.deepEqual(lines(announced).map((r) => r.name), [made, joined, posted]);
    // Making it again is not an error and not a second announcement.
    await a.publish({ destination: '/app/rooms', body: JSON.stringify({ name: made }) }, { receipt: true });

    const list = await ask(a, '/app/rooms');
    const byName = Object.fromEntries(list.map((r) => [r.name, r]));
    assert.equal(byName[joined].members, 1, 'the joined room counts its member');
    assert.equal(byName[made].members, 0);
    assert.ok(byName[posted].lastActivity > 0, 'a posted room has its last activity');
    assert.equal(announced.messages.length, 3);
    assert.ok(byName.lobby === undefined || byName.lobby.name === 'lobby');
  });

  test('client-id: a line sent twice is stored and broadcast once', async () => {
    const room = uniqueRoom('dedupe');
    const a = await connect('재전송', secret());
    const watch = await a.subscribe(`/topic/rooms.${room}`);
    const clientId = randomUUID();
    await say(a, room, '한 번만', { clientId });
    await say(a, room, '한 번만', { clientId });
    await say(a, room, '다음');
    const got = lines(await a.messages(watch, 2));
    await sleep(200);
    assert.deepEqual(lines(watch).map((l) => l.content), ['한 번만', '다음']);
    assert.deepEqual((await ask(a, `/app/rooms/${room}/history`)).map((l) => [l.id, l.content]), [[1, '한 번만'], [2, '다음']]);
    assert.equal(got[1].id, 2);
  });

  test('errors go to /user/queue/errors and the session goes on', async () => {
    const room = uniqueRoom('errors');
    const a = await connect('실수', secret());
    const errs = await a.subscribe('/user/queue/errors');
    const cases = [
      [`/app/rooms/${room}/chat`, { content: '   ' }, 'blank'],
      [`/app/rooms/${room}/chat`, { content: 'x'.repeat(4001) }, 'too-long'],
      [`/app/rooms/${room}/chat`, { content: 'bell\u0007' }, 'bad-content'],
      ['/app/rooms/bad!room/chat', { content: 'hi' }, 'bad-room'],
      ['/app/rooms', { name: 'has.dot' }, 'bad-room'],
      [`/app/rooms/${room}/typing`, {}, 'not-member'],
    ];
    for (const [i, [destination, body, code]] of cases.entries()) {
      await a.publish({ destination, body: JSON.stringify(body) });
      const e = await nextError(a, errs, i + 1);
      assert.equal(e.code, code, `${destination} ${JSON.stringify(body).slice(0, 40)}: ${JSON.stringify(e)}`);
      assert.equal(e.destination, destination);
    }
    // 4,000 characters (Korean ones too) are fine.
    const watch = await a.subscribe(`/topic/rooms.${room}`);
    await say(a, room, '가'.repeat(4000));
    assert.equal(lines(await a.messages(watch, 1))[0].content.length, 4000);

    const anon = await harness.connectPeer('anonymous');
    const anonErrs = await anon.subscribe('/user/queue/errors');
    await anon.publish({ destination: `/app/rooms/${room}/chat`, body: '{"content":"hi"}' });
    assert.equal((await nextError(anon, anonErrs, 1)).code, 'name-required');
  });

  test('clients may not SEND straight to the topics the application owns', async () => {
    for (const destination of ['/topic/chat', '/topic/greetings', '/topic/rooms', '/topic/rooms.lobby', '/topic/rooms.lobby.members']) {
      const p = await connect('침입자', undefined, `intruder ${destination}`);
      p.client.publish({ destination, body: 'this is not json' });
      const err = await p.waitFor(() => p.stompErrors[0], `an ERROR for SEND ${destination}`, { allowError: true });
      assert.equal(err.headers.message, 'access denied');
      assert.match(err.body, new RegExp(`send to ${destination.replace(/\./g, '\\.')}`), err.body);
      await p.close();
    }
    const p = await connect('엿보기', secret());
    p.client.subscribe('/topic/rooms.*', () => {});
    const err = await p.waitFor(() => p.stompErrors[0], 'an ERROR for a pattern subscription', { allowError: true });
    assert.match(err.body, /by name/);
  });

  test('the seed\'s /app/chat and /app/hello show the session\'s name, not the body\'s', async () => {
    const a = await connect('고길동', secret());
    const chat = await a.subscribe('/topic/chat');
    const greetings = await a.subscribe('/topic/greetings');
    await a.publish({ destination: '/app/chat', body: JSON.stringify({ name: '홍길동', content: '나는 홍길동' }) }, { receipt: true });
    await a.publish({ destination: '/app/hello', body: JSON.stringify({ name: '홍길동' }) }, { receipt: true });
    assert.deepEqual(lines(await a.messages(chat, 1)), [{ name: '고길동', content: '나는 홍길동' }]);
    assert.deepEqual(lines(await a.messages(greetings, 1)), [{ name: '고길동' }]);
    const info = server.logs();
    assert.ok(!info.includes('나는 홍길동'), 'message contents are not logged at info level');
  });

  test('names are claimed by their secret', async () => {
    const pass = secret();
    const owner = await connect('또치', pass);
    assert.equal(owner.connectedFrame.headers['user-name'], '또치');
    let e = await refused('또치', secret());
    assert.equal(e.headers.message, 'access denied');
    assert.match(e.body, /claimed by someone else/);
    e = await refused('또치');
    assert.match(e.body, /claimed: connect with its passcode/);
    const again = await connect('  또치  ', pass, 'owner again');
    assert.equal(again.connectedFrame.headers['user-name'], '또치', 'the name is trimmed');
    // An unclaimed name without a passcode is allowed.
    await connect(`손님-${randomUUID().slice(0, 6)}`);
    for (const bad of ['x'.repeat(33), 'tab\tname', 'zero\u200bwidth', 'a/b']) {
      e = await refused(bad, secret());
      assert.equal(e.headers.message, 'access denied', `${JSON.stringify(bad)} refused`);
    }
  });
});

describe('chat API with the default rate limits', () => {
  before(async () => { server = await startServer(); });
  afterEach(() => harness.closeAll());
  after(async () => { await harness.closeAll(); await server?.stop(); });

  test('chat: a burst of 20, then refused; with a receipt the refusal is an ERROR', async () => {
    const room = uniqueRoom('rate');
    // Making a room spends a token of its maker's rate: someone else makes it.
    const maker = await connect('방장2', secret());
    await maker.subscribe(`/topic/rooms.${room}`);
    const a = await connect('수다쟁이', secret());
    const errs = await a.subscribe('/user/queue/errors');
    const watch = await a.subscribe(`/topic/rooms.${room}`);
    for (let i = 1; i <= 21; i++) await say(a, room, `${i}`, { receipt: false });
    const e = await nextError(a, errs, 1);
    assert.equal(e.code, 'rate-limited');
    await a.messages(watch, 20);
    await sleep(200);
    assert.equal(watch.messages.length, 20, 'the 21st line was not broadcast');

    const b = await connect('영수증', secret());
    for (let i = 1; i <= 20; i++) await say(b, room, `${i}`, { receipt: false });
    b.client.publish({ destination: `/app/rooms/${room}/chat`, body: '{"content":"21"}', headers: { receipt: 'r-21' } });
    const err = await b.waitFor(() => b.stompErrors[0], 'an ERROR for the receipted 21st line', { allowError: true });
    assert.equal(err.headers['receipt-id'], 'r-21');
    assert.match(err.body, /^rate-limited:/);
  });

  test('typing: one a second per session, never stored', async () => {
    const room = uniqueRoom('typing');
    const a = await connect('타자수', secret());
    const b = await connect('구경꾼', secret());
    const errs = await a.subscribe('/user/queue/errors');
    await a.subscribe(`/topic/rooms.${room}`);
    const typing = await b.subscribe(`/topic/rooms.${room}.typing`);
    await a.publish({ destination: `/app/rooms/${room}/typing`, body: '{}' });
    await a.publish({ destination: `/app/rooms/${room}/typing`, body: '{}' });
    assert.deepEqual(lines(await b.messages(typing, 1)), [{ name: '타자수' }]);
    assert.equal((await nextError(a, errs, 1)).code, 'rate-limited');
    await sleep(1100);
    await a.publish({ destination: `/app/rooms/${room}/typing`, body: '{}' });
    await b.messages(typing, 2, 'a typing event a second later');
    assert.deepEqual(await ask(a, `/app/rooms/${room}/history`), [], 'typing is not stored');
  });
  test('one address makes at most 50 rooms at once, whatever its sessions', async () => {
    const errs = [];
    let made = 0;
    for (let s = 0; s < 3 && errs.length === 0; s++) {
      const p = await connect(`방주인-${s}`, secret());
      const box = await p.subscribe('/user/queue/errors');
      for (let i = 0; i < 19; i++) {
        await p.publish({ destination: '/app/rooms', body: JSON.stringify({ name: uniqueRoom(`ip${s}`) }) });
      }
      await p.publish({ destination: '/app/rooms', body: JSON.stringify({ name: uniqueRoom('last') }) }, { receipt: false });
      await sleep(300);
      errs.push(...lines(box));
      made += 20 - box.messages.length;
    }
    assert.ok(errs.length > 0, 'no refusal after 60 new rooms from one address');
    assert.equal(errs[0].code, 'rate-limited');
    assert.match(errs[0].message, /from your address/);
    // Other tests on this server made a room or two from this address too.
    assert.ok(made <= 50 && made >= 45, `the address made ${made} rooms, want its burst of 50 less what other tests made`);
  });
});

describe('chat history and claims survive a restart', () => {
  const data = mkdtempSync(path.join(tmpdir(), 'stompbox-restart-'));
  afterEach(() => harness.closeAll());
  after(async () => { await harness.closeAll(); await server?.stop().catch(() => {}); });

  test('lines and claimed names are there after a restart', async () => {
    const room = uniqueRoom('restart');
    const pass = secret();
    server = await startServer({ args: ['-data', data] });
    const a = await connect('기억', pass);
    await say(a, room, '재시작 전');
    await harness.closeAll();
    await server.stop();

    server = await startServer({ args: ['-data', data] });
    const again = await connect('기억', pass);
    assert.deepEqual((await ask(again, `/app/rooms/${room}/history`)).map((l) => [l.id, l.name, l.content]), [[1, '기억', '재시작 전']]);
    const watch = await again.subscribe(`/topic/rooms.${room}`);
    await say(again, room, '재시작 후');
    assert.equal(lines(await again.messages(watch, 1))[0].id, 2, 'ids go on after a restart');
    const rooms = await ask(again, '/app/rooms');
    assert.ok(rooms.some((r) => r.name === room), 'the room is listed after a restart');
    const e = await refused('기억', secret());
    assert.match(e.body, /claimed by someone else/);
    await server.stop();
    server = null;
  });
});

