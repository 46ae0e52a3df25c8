// End-to-end: Server-Sent Events across two stompbox nodes on one RabbitMQ
// and one PostgreSQL (issue 9). A stream on node B gets what was posted
// through node A; a stream that comes back to node A with the
// Last-Event-ID node B gave it gets exactly the room's lines it missed,
// from the history store, then live ones. bin/services runs the backing
// services on loopback; each node is a bin/stompbox with -broker and
// -history, as in cluster.test.mjs.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startServer, sleep } from './server.mjs';
import { createHarness } from './peer.mjs';
import { startServices } from './services.mjs';

Object.assign(globalThis, { WebSocket });

const WAIT_MS = 10_000;
const QUIET_MS = 500;
const secret = () => randomBytes(32).toString('hex');

// openStream reads GET /events?destination=... of node with Node's fetch,
// parsing text/event-stream blocks as an EventSource would: lastId
// follows the id fields. opening() resolves with the events sent before
// the stream's opening id line (a lone id: gaps and replayed lines).
function openStream(node, destination, lastEventId) {
  const ctl = new AbortController();
  const blocks = [];
  let wake = () => {};
  let ended = null;
  const s = {
    lastId: lastEventId ?? '',
    close: () => ctl.abort(),
    // next resolves with the next block, or fails after WAIT_MS.
    async next(what = 'an event') {
      const deadline = Date.now() + WAIT_MS;
      while (blocks.length === 0) {
        if (ended) throw new Error(`the stream ended (${ended}) waiting for ${what}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what} on ${destination} at ${node.url}`);
        await new Promise((resolve) => { wake = resolve; setTimeout(resolve, left); });
      }
      const b = blocks.shift();
      if (b.id !== undefined) s.lastId = b.id;
      return b;
    },
    // event resolves with the next block that has data.
    async event(what) {
      for (;;) {
        const b = await s.next(what);
        if (b.data !== undefined) return b;
      }
    },
    async opening() {
      const events = [];
      for (;;) {
        const b = await s.next('the opening id line');
        if (b.retry !== undefined) continue;
        if (b.data === undefined && b.id !== undefined) return events;
        if (b.data !== undefined) events.push(b);
      }
    },
    // quiet fails if an event with data comes within ms.
    async quiet(ms) {
      await sleep(ms);
      const extra = blocks.filter((b) => b.data !== undefined);
      assert.deepEqual(extra.map(show), [], 'no more events');
    },
  };
  const headers = lastEventId ? { 'Last-Event-ID': lastEventId } : {};
  (async () => {
    const res = await fetch(`${node.url}/events?destination=${encodeURIComponent(destination)}`, { headers, signal: ctl.signal });
    if (res.status !== 200) throw new Error(`GET /events: ${res.status} ${await res.text()}`);
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += dec.decode(chunk, { stream: true });
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = {};
        for (const line of buf.slice(0, end).split('\n')) {
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') block[field] = value;
        }
        buf = buf.slice(end + 2);
        if (Object.keys(block).length > 0) blocks.push(block);
      }
      wake();
    }
    ended = 'end of response';
  })().catch((err) => { ended = err.name === 'AbortError' ? 'closed' : String(err); }).finally(() => wake());
  return s;
}

// The chat line a message event carries.
const lineOf = (b) => JSON.parse(JSON.parse(b.data).body);
function show(b) {
  if (b.event === 'gap') return `gap ${JSON.parse(b.data).destination}`;
  const l = lineOf(b);
  return `${l.id} ${l.content}`;
}

describe('SSE across two nodes on RabbitMQ and PostgreSQL', () => {
  let services;
  let a;
  let b;
  let current;
  const streams = [];
  const harness = createHarness(() => current);

  before(async () => {
    services = await startServices();
    const args = ['-broker', services.amqp, '-history', services.postgres, '-chat-burst', '1000', '-chat-rate', '1000'];
    a = await startServer({ args });
    b = await startServer({ args });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await harness.closeAll();
  });
  after(async () => {
    await harness.closeAll();
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await services?.stop();
  });

  const stream = (...args) => {
    const s = openStream(...args);
    streams.push(s);
    return s;
  };
  function connect(node, name) {
    current = node;
    return harness.connectPeer(`${name}@${node === a ? 'A' : 'B'}`, { login: name, connectHeaders: { login: name, passcode: secret() } });
  }
  const say = (peer, room, content) => peer.publish(
    { destination: `/app/rooms/${room}/chat`, body: JSON.stringify({ content }) },
    { receipt: true },
  );

  test('a stream on B gets a line posted on A; back on A with B\'s id it gets exactly what it missed, then live lines', async () => {
    const room = `sse-${randomUUID().slice(0, 8)}`;
    const topic = `/topic/rooms.${room}`;
    const hong = await connect(a, '홍길동');
    const go = await connect(b, '고길동');
    await hong.subscribe(topic);
    await go.subscribe(topic);
    await say(hong, room, '시작 전'); // before any stream: not the stream's to get

    const onB = stream(b, topic);
    assert.deepEqual(await onB.opening(), [], 'a fresh stream opens with nothing');
    await say(hong, room, '첫째');
    const first = await onB.event('the line posted on A');
    assert.equal(show(first), '2 첫째');
    assert.match(first.id, /:2$/, 'the event id carries the line id');
    onB.close();

    await say(hong, room, '둘째'); // while the stream is away, through both nodes
    await say(go, room, '셋째');
    await say(hong, room, '넷째');

    const onA = stream(a, topic, onB.lastId);
    const replayed = await onA.opening();
    assert.deepEqual(replayed.map(show), ['3 둘째', '4 셋째', '5 넷째'], 'exactly the lines missed, in order, from the history');
    await say(go, room, '다섯째');
    assert.equal(show(await onA.event('the live line')), '6 다섯째');
    await onA.quiet(QUIET_MS);
  });

  test('a topic that is not a room resumes on its own node only: elsewhere a gap event says to reload', async () => {
    const hong = await connect(a, '둘리');
    const onB = stream(b, '/topic/chat');
    await onB.opening();
    await hong.publish({ destination: '/app/chat', body: JSON.stringify({ name: '둘리', content: '안녕' }) }, { receipt: true });
    const got = await onB.event('the seed chat line');
    assert.equal(JSON.parse(JSON.parse(got.data).body).content, '안녕');
    onB.close();
    await hong.publish({ destination: '/app/chat', body: JSON.stringify({ name: '둘리', content: '놓친 말' }) }, { receipt: true });

    const onA = stream(a, '/topic/chat', onB.lastId);
    const opening = await onA.opening();
    assert.deepEqual(opening.map((e) => [e.event, JSON.parse(e.data).destination]), [['gap', '/topic/chat']]);
    await hong.publish({ destination: '/app/chat', body: JSON.stringify({ name: '둘리', content: '다시' }) }, { receipt: true });
    assert.equal(JSON.parse(JSON.parse((await onA.event('the live line')).data).body).content, '다시');
  });
});
