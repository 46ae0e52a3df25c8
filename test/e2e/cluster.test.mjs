// End-to-end: two stompbox nodes on one RabbitMQ and one PostgreSQL (issue
// 9), with the real @stomp/stompjs. bin/services runs the backing services
// on loopback; each node is a bin/stompbox with -broker and -history.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startServer, sleep } from './server.mjs';
import { createHarness } from './peer.mjs';
import { startServices } from './services.mjs';

Object.assign(globalThis, { WebSocket });

const secret = () => randomBytes(32).toString('hex');
const json = (m) => JSON.parse(m.body);
const lines = (s) => (Array.isArray(s) ? s : s.messages).map(json);

async function waitUntil(what, ok, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

const readyz = async (node) => (await fetch(`${node.url}/readyz`)).status;

describe('two nodes on RabbitMQ and PostgreSQL', () => {
  let services;
  let a;
  let b;
  let current; // the node the next peer connects to
  let args;
  const harness = createHarness(() => current);

  before(async () => {
    services = await startServices();
    args = ['-broker', services.amqp, '-history', services.postgres, '-chat-burst', '1000', '-chat-rate', '1000', '-presence-interval', '1s'];
    a = await startServer({ args });
    b = await startServer({ args });
  });
  afterEach(() => harness.closeAll());
  after(async () => {
    await harness.closeAll();
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await services?.stop();
  });

  function connect(node, name, pass = secret()) {
    current = node;
    return harness.connectPeer(`${name}@${node === a ? 'A' : 'B'}`, { login: name, connectHeaders: { login: name, passcode: pass } });
  }

  test('the seed\'s flow with one person on each node', async () => {
    const hong = await connect(a, '홍길동');
    const go = await connect(b, '고길동');
    const hongChat = await hong.subscribe('/topic/chat');
    const goChat = await go.subscribe('/topic/chat');
    const goGreet = await go.subscribe('/topic/greetings');
    await hong.publish({ destination: '/app/hello', body: JSON.stringify({ name: '홍길동' }) }, { receipt: true });
    assert.deepEqual(lines(await go.messages(goGreet, 1)), [{ name: '홍길동' }]);
    await go.publish({ destination: '/app/chat', body: JSON.stringify({ name: '고길동', content: '안녕하세요' }) }, { receipt: true });
    assert.deepEqual(lines(await hong.messages(hongChat, 1)), [{ name: '고길동', content: '안녕하세요' }]);
    assert.deepEqual(lines(await go.messages(goChat, 1)), [{ name: '고길동', content: '안녕하세요' }], 'once on the sender\'s own node too');
    await sleep(200);
    assert.equal(goChat.messages.length, 1, 'no duplicate through RabbitMQ');
  });

  test('room chat, presence events and typing across nodes; history written on A read on B', async () => {
    const room = `cross-${randomUUID().slice(0, 8)}`;
    const go = await connect(b, '둘리');
    const goEvents = await go.subscribe(`/topic/rooms.${room}.members`);
    const goLines = await go.subscribe(`/topic/rooms.${room}`);
    const goTyping = await go.subscribe(`/topic/rooms.${room}.typing`);
    await go.messages(goEvents, 1, 'its own join');
    const ttochiPass = secret();
    const hong = await connect(a, '또치', ttochiPass);
    const hongLines = await hong.subscribe(`/topic/rooms.${room}`);
    await go.messages(goEvents, 2, 'the join of 또치 on the other node');
    assert.deepEqual(lines(goEvents)[1], { type: 'join', name: '또치' });
    // The member list on B has A's member too (nodes tell each other).
    await waitUntil('B to list 또치', async () => {
      const m = await go.subscribe(`/app/rooms/${room}/members`);
      const list = lines(await go.messages(m, 1))[0];
      m.handle.unsubscribe();
      return JSON.stringify(list) === JSON.stringify([{ name: '둘리' }, { name: '또치' }]);
    }, 10_000);
    // 또치's second tab, on B, is not a second member: no second join.
    const tab2 = await connect(b, '또치', ttochiPass);
    await tab2.subscribe(`/topic/rooms.${room}`);
    await sleep(500);
    assert.equal(goEvents.messages.length, 2, `a second tab on another node joined again: ${JSON.stringify(lines(goEvents))}`);
    await tab2.close();

    await hong.publish({ destination: `/app/rooms/${room}/typing`, body: '{}' });
    assert.deepEqual(lines(await go.messages(goTyping, 1)), [{ name: '또치' }]);
    for (const [who, text] of [[hong, '노드 A에서'], [go, '노드 B에서'], [hong, '다시 A']]) {
      await who.publish({ destination: `/app/rooms/${room}/chat`, body: JSON.stringify({ content: text }) }, { receipt: true });
    }
    const seenB = lines(await go.messages(goLines, 3));
    const seenA = lines(await hong.messages(hongLines, 3));
    for (const seen of [seenA, seenB]) {
      assert.deepEqual(seen.map((l) => [l.id, l.name, l.content]).sort((x, y) => x[0] - y[0]),
        [[1, '또치', '노드 A에서'], [2, '둘리', '노드 B에서'], [3, '또치', '다시 A']], 'ids increase in the room across nodes');
    }
    // History on Postgres: B reads what A wrote.
    const h = await go.subscribe(`/app/rooms/${room}/history`);
    const page = lines(await go.messages(h, 1))[0];
    assert.deepEqual(page.map((l) => l.content), ['노드 A에서', '노드 B에서', '다시 A']);

    hong.client.webSocket.terminate(); // a socket that just dies on A
    await go.messages(goEvents, 3, 'the leave of 또치');
    assert.deepEqual(lines(goEvents)[2], { type: 'leave', name: '또치' });
  });

  test('a node killed with SIGKILL: its users leave the other nodes within 30 s', async () => {
    const room = `crash-${randomUUID().slice(0, 8)}`;
    const c = await startServer({ args });
    try {
      const watcher = await connect(a, '길동이');
      const events = await watcher.subscribe(`/topic/rooms.${room}.members`);
      await watcher.subscribe(`/topic/rooms.${room}`);
      const doomed = await connect(c, '떠날이');
      await doomed.subscribe(`/topic/rooms.${room}`);
      await watcher.messages(events, 2, 'the join of 떠날이 on node C');
      const t0 = Date.now();
      c.child.kill('SIGKILL');
      await watcher.waitFor(() => lines(events).some((e) => e.type === 'leave' && e.name === '떠날이'), 'the leave of 떠날이', { ms: 30_000 });
      const took = Date.now() - t0;
      assert.ok(took < 30_000, `left after ${took} ms`);
      const m = await watcher.subscribe(`/app/rooms/${room}/members`);
      assert.deepEqual(lines(await watcher.messages(m, 1))[0], [{ name: '길동이' }]);
    } finally {
      c.child.kill('SIGKILL');
    }
  });

  test('/queue competing consumers spread across nodes; a killed node\'s unacked messages go to the other', async () => {
    const queue = `/queue/jobs-${randomUUID().slice(0, 8)}`;
    const c = await startServer({ args });
    try {
      const workerB = await connect(b, '일꾼B');
      const onB = await workerB.subscribe(queue, { ack: 'client-individual' });
      const workerC = await connect(c, '일꾼C');
      const onC = await workerC.subscribe(queue, { ack: 'client-individual' });
      const producer = await connect(a, '생산자');
      const n = 20;
      for (let i = 0; i < n; i++) await producer.publish({ destination: queue, body: `job ${i}` }, { receipt: true });
      await workerB.waitFor(() => onB.messages.length + onC.messages.length >= n, `${n} jobs between B and C`);
      await sleep(300);
      const bodies = (sub) => sub.messages.map((m) => m.body);
      assert.equal(onB.messages.length + onC.messages.length, n, `each job once: B ${bodies(onB)}, C ${bodies(onC)}`);
      assert.ok(onB.messages.length > 0 && onC.messages.length > 0, `spread across nodes: B ${onB.messages.length}, C ${onC.messages.length}`);
      for (const m of onB.messages) m.ack(); // B's are done; C's are never acknowledged
      const unacked = bodies(onC);

      c.child.kill('SIGKILL');
      await workerB.messages(onB, n, 'C\'s unacknowledged jobs, redelivered to B');
      const again = onB.messages.slice(n - unacked.length);
      assert.deepEqual(again.map((m) => m.body).sort(), [...unacked].sort());
      assert.ok(again.every((m) => m.headers.redelivered === 'true'), 'marked redelivered');
      assert.deepEqual([...new Set(bodies(onB))].sort(), Array.from({ length: n }, (_, i) => `job ${i}`).sort(), 'every job reached B in the end');
      for (const m of again) m.ack();
      await sleep(300);
      assert.equal(onB.messages.length, n, 'acknowledged jobs are not delivered again');
    } finally {
      c.child.kill('SIGKILL');
    }
  });

  test('a message to a user reaches their tabs on both nodes, and nobody else', async () => {
    const pass = secret();
    const tabA = await connect(a, '영희', pass);
    const tabB = await connect(b, '영희', pass);
    const other = await connect(b, '철수');
    const subs = [];
    for (const p of [tabA, tabB, other]) subs.push(await p.subscribe('/user/queue/reply'));
    const sender = await connect(a, '보내는이');
    await sender.publish({ destination: '/user/영희/queue/reply', body: '둘 다 받아요' }, { receipt: true });
    assert.equal((await tabA.messages(subs[0], 1))[0].body, '둘 다 받아요');
    assert.equal((await tabB.messages(subs[1], 1))[0].body, '둘 다 받아요');
    await sleep(300);
    assert.equal(subs[2].messages.length, 0, 'another user got it');
    assert.equal(subs[0].messages.length + subs[1].messages.length, 2, 'once per tab');
    sender.client.publish({ destination: '/user/아무도없음/queue/reply', body: 'x', headers: { receipt: 'r-nobody' } });
    const err = await sender.waitFor(() => sender.stompErrors[0], 'an ERROR for a user online nowhere', { allowError: true });
    assert.equal(err.headers.message, 'no recipient');
  });

  test('a name claimed on A cannot be taken on B', async () => {
    const pass = secret();
    await connect(a, '마이콜', pass);
    current = b;
    const { Peer } = await import('./peer.mjs');
    const thief = new Peer(harness, 'thief@B', { login: '마이콜', connectHeaders: { login: '마이콜', passcode: secret() } });
    await thief.waitFor(() => thief.stompErrors[0], 'an ERROR for the CONNECT', { allowError: true });
    assert.match(thief.stompErrors[0].body, /claimed by someone else/);
  });

  test('RabbitMQ stops and starts: nodes report it, refuse rather than drop, and resume', async () => {
    const room = `restart-${randomUUID().slice(0, 8)}`;
    const watcher = await connect(b, '희동이');
    const seen = await watcher.subscribe(`/topic/rooms.${room}`);
    const writer = await connect(a, '도우너');
    await writer.subscribe(`/topic/rooms.${room}`);
    assert.equal(await readyz(a), 200);

    const receipted = [];
    const say = async (peer, text) => {
      await peer.publish({ destination: `/app/rooms/${room}/chat`, body: JSON.stringify({ content: text }) }, { receipt: true });
      receipted.push(text);
    };
    await say(writer, 'before');
    await watcher.messages(seen, 1);
    // A receipted message to a /queue nobody consumes yet waits in RabbitMQ.
    const queue = `/queue/restart-${randomUUID().slice(0, 8)}`;
    await writer.publish({ destination: queue, body: 'kept through the restart' }, { receipt: true });

    assert.equal(await services.command('stop-rabbit'), 'stopped');
    await waitUntil('both nodes to report RabbitMQ down', async () => (await readyz(a)) === 503 && (await readyz(b)) === 503);
    const health = await (await fetch(`${a.url}/healthz`)).text();
    assert.match(health, /rabbitmq down/);
    // A receipted line now gets an ERROR, not a RECEIPT.
    writer.client.publish({ destination: `/app/rooms/${room}/chat`, body: '{"content":"during"}', headers: { receipt: 'r-during' } });
    const err = await writer.waitFor(() => writer.stompErrors[0], 'an ERROR for a line while RabbitMQ is down', { allowError: true });
    assert.equal(err.headers['receipt-id'], 'r-during');
    assert.equal(watcher.closed, false, 'the sessions stay');

    assert.equal(await services.command('start-rabbit'), 'started');
    await waitUntil('both nodes to reconnect', async () => (await readyz(a)) === 200 && (await readyz(b)) === 200);
    const again = await connect(a, '도우너2');
    await say(again, 'after');
    const got = lines(await watcher.messages(seen, 2, 'the line after the restart'));
    for (const text of receipted) {
      assert.ok(got.some((l) => l.content === text), `receipted "${text}" arrived: ${JSON.stringify(got)}`);
    }
    const worker = await watcher.subscribe(queue);
    assert.equal((await watcher.messages(worker, 1, 'the queued message, after the restart'))[0].body, 'kept through the restart');
  });
});
