// Interoperability with the real @stomp/stompjs Client in Node, against
// bin/stompbox: receipts, transactions, ack modes, /queue competing
// consumers, heart-beats, binary and large bodies, the body limit, STOMP
// 1.0/1.1, and 1.2 header escaping.
//
// Every wait is bounded (WAIT_MS) and fails with what each client saw and
// the server's log. The only sleeps are bounded "nothing more arrives"
// checks (QUIET_MS) and the idle period of the heart-beat test.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Versions } from '@stomp/stompjs';
import { startServer, sleep } from './server.mjs';
import { createHarness, describeFrame, bodies } from './peer.mjs';

const QUIET_MS = 300;
const MAX_BODY = 1 << 20; // the server's default body limit


let seq = 0;
// A destination no other test uses.
const dest = (kind, what) => `/${kind}/interop-${what}-${process.pid}-${++seq}`;

// A text body of exactly n ASCII bytes whose content depends on the
// position, so that a lost, repeated or moved chunk shows.
function patternBody(n) {
  const parts = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const part = `${i.toString(36)}.`;
    parts.push(part);
    len += part.length;
  }
  return parts.join('').slice(0, n);
}

// Compares two long strings without printing them.
function assertSameLongString(got, want, what) {
  if (got === want) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  assert.fail(`${what}: got ${got.length} chars, want ${want.length}; first difference at ${i}: got ${JSON.stringify(got.slice(i, i + 40))}, want ${JSON.stringify(want.slice(i, i + 40))}`);
}

let server; // one bin/stompbox for the whole file
const { connectPeer, closeAll } = createHarness(() => server);

before(async () => {
  server = await startServer();
});

after(async () => {
  await closeAll();
  if (server) await server.stop();
});

afterEach(closeAll);

describe('receipts', () => {
  test('SUBSCRIBE and SEND with a receipt header each get their RECEIPT', async () => {
    const a = await connectPeer('a');
    const d = dest('topic', 'receipts');

    const sub = await a.subscribe(d); // waits for RECEIPT receipt-id:sub-a-1
    const r = a.watchReceipt('send');
    a.log(`>>> SEND ${d} receipt:${r.id}`);
    a.client.publish({ destination: d, body: 'with a receipt', headers: { receipt: r.id } });
    const frame = await r.wait();
    assert.equal(frame.command, 'RECEIPT');
    assert.equal(frame.headers['receipt-id'], r.id);

    await a.messages(sub, 1);
    assert.deepEqual(bodies(sub), ['with a receipt']);
    assert.equal(sub.messages[0].headers.receipt, undefined, 'the SEND\'s receipt header is not passed on in the MESSAGE');
  });

  test('a message sent by another client after the SUBSCRIBE receipt always arrives', async () => {
    const a = await connectPeer('a');
    const b = await connectPeer('b');
    for (let i = 0; i < 25; i++) {
      const d = dest('topic', `live-${i}`);
      const sub = await a.subscribe(d);
      // No wait of any kind between the receipt and the SEND.
      b.client.publish({ destination: d, body: `m${i}` });
      await a.messages(sub, 1, `m${i} on ${d}, sent by b right after a's SUBSCRIBE receipt`);
      assert.deepEqual(bodies(sub), [`m${i}`]);
    }
    // The same with a /queue.
    for (let i = 0; i < 5; i++) {
      const d = dest('queue', `live-${i}`);
      const sub = await a.subscribe(d);
      b.client.publish({ destination: d, body: `q${i}` });
      await a.messages(sub, 1, `q${i} on ${d}`);
      assert.deepEqual(bodies(sub), [`q${i}`]);
    }
  });
});

describe('transactions', () => {
  test('SENDs in a transaction arrive on COMMIT, in order; an aborted transaction delivers nothing', async () => {
    const p = await connectPeer('producer');
    const s = await connectPeer('subscriber');
    const d = dest('topic', 'tx');
    const sub = await s.subscribe(d);

    const tx = p.client.begin();
    p.log(`>>> BEGIN transaction:${tx.id}`);
    await p.publish({ destination: d, body: 'one', headers: { transaction: tx.id } });
    // The receipt shows the server has taken the second SEND (and so the first).
    await p.publish({ destination: d, body: 'two', headers: { transaction: tx.id } }, { receipt: true });
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(sub), [], `nothing arrives before COMMIT\n${s.state()}`);

    tx.commit();
    p.log(`>>> COMMIT transaction:${tx.id}`);
    await s.messages(sub, 2, 'both transactional messages after COMMIT');
    assert.deepEqual(bodies(sub), ['one', 'two']);
    for (const m of sub.messages) {
      assert.equal(m.headers.destination, d);
    }

    const tx2 = p.client.begin();
    p.log(`>>> BEGIN transaction:${tx2.id}`);
    assert.notEqual(tx2.id, tx.id);
    await p.publish({ destination: d, body: 'three', headers: { transaction: tx2.id } });
    await p.publish({ destination: d, body: 'four', headers: { transaction: tx2.id } }, { receipt: true });
    tx2.abort();
    p.log(`>>> ABORT transaction:${tx2.id}`);
    // A plain SEND after the ABORT: once it has arrived, anything the
    // aborted transaction wrongly delivered would have arrived before it.
    await p.publish({ destination: d, body: 'after abort' });
    await s.messages(sub, 3, 'the message sent after ABORT');
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(sub), ['one', 'two', 'after abort']);
    assert.deepEqual(p.stompErrors.map(describeFrame), []);
    assert.deepEqual(s.stompErrors.map(describeFrame), []);
  });

  test('an ACK in an aborted transaction does not count; one in a committed transaction does', async () => {
    const p = await connectPeer('producer');
    const a = await connectPeer('a');
    const d = dest('queue', 'tx-ack');
    const subA = await a.subscribe(d, { ack: 'client-individual' });
    await p.publish({ destination: d, body: 'acked in aborted tx' });
    await p.publish({ destination: d, body: 'acked in committed tx' });
    await a.messages(subA, 2);
    assert.deepEqual(bodies(subA), ['acked in aborted tx', 'acked in committed tx']);

    const t1 = a.client.begin();
    subA.messages[0].ack({ transaction: t1.id });
    t1.abort();
    const t2 = a.client.begin();
    subA.messages[1].ack({ transaction: t2.id });
    t2.commit();

    const b = await connectPeer('b');
    const subB = await b.subscribe(d);
    await a.close(); // DISCONNECT: the message whose ACK was aborted is still unacked
    await b.messages(subB, 1, 'the message whose ACK was aborted, redelivered');
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(subB), ['acked in aborted tx']);
    assert.equal(subB.messages[0].headers.redelivered, 'true');
  });
});

describe('ack modes on a /queue', () => {
  test('client-individual: ACKed messages stay acked, a NACKed one and an unacked one go to the other subscriber', async () => {
    const p = await connectPeer('producer');
    const a = await connectPeer('a');
    const d = dest('queue', 'client-individual');
    const subA = await a.subscribe(d, { ack: 'client-individual' });
    for (const body of ['m1', 'm2', 'm3', 'm4']) await p.publish({ destination: d, body });
    await a.messages(subA, 4);
    assert.deepEqual(bodies(subA), ['m1', 'm2', 'm3', 'm4'], 'a is the only subscriber and gets all four');
    const ids = new Set();
    for (const m of subA.messages) {
      assert.equal(m.headers.subscription, subA.id, `subscription header of ${m.body}`);
      assert.equal(m.headers.destination, d, `destination header of ${m.body}`);
      assert.ok(m.headers['message-id'], `${m.body} has a message-id`);
      assert.ok(m.headers.ack, `${m.body} has an ack header (STOMP 1.2, ack mode not auto)`);
      assert.notEqual(m.headers.redelivered, 'true', `${m.body} is a first delivery`);
      ids.add(m.headers.ack);
    }
    assert.equal(ids.size, 4, 'every MESSAGE has its own ack id');

    const b = await connectPeer('b');
    const subB = await b.subscribe(d); // ack:auto

    const [m1, m2, m3] = subA.messages;
    m1.ack();
    m2.nack();
    m3.ack();
    a.log('>>> ACK m1, NACK m2, ACK m3 (m4 left unacked)');
    await b.messages(subB, 1, 'the NACKed m2 at b');
    assert.equal(subB.messages[0].body, 'm2');
    assert.equal(subB.messages[0].headers.redelivered, 'true', 'a redelivered MESSAGE carries redelivered:true');
    assert.equal(subB.messages[0].headers.subscription, subB.id);
    assert.equal(subB.messages[0].headers.destination, d);
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(subB), ['m2'], 'only the NACKed message goes to b');
    assert.deepEqual(bodies(subA), ['m1', 'm2', 'm3', 'm4'], 'a gets nothing more');

    await a.close(); // m4 was never acked
    await b.messages(subB, 2, 'the unacked m4 at b after a disconnected');
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(subB), ['m2', 'm4'], 'ACKed m1 and m3 are never redelivered');
    assert.equal(subB.messages[1].headers.redelivered, 'true');
    assert.deepEqual(a.stompErrors.map(describeFrame), []);
    assert.deepEqual(b.stompErrors.map(describeFrame), []);
  });

  test('client: an ACK acks every earlier message; unacked ones go to the other subscriber on disconnect', async () => {
    const p = await connectPeer('producer');
    const a = await connectPeer('a');
    const d = dest('queue', 'client');
    const subA = await a.subscribe(d, { ack: 'client' });
    for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) await p.publish({ destination: d, body });
    await a.messages(subA, 5);
    assert.deepEqual(bodies(subA), ['m1', 'm2', 'm3', 'm4', 'm5']);
    for (const m of subA.messages) assert.ok(m.headers.ack, `${m.body} has an ack header`);

    const b = await connectPeer('b');
    const subB = await b.subscribe(d);
    subA.messages[2].ack(); // cumulative: m1, m2, m3
    a.log('>>> ACK m3 (cumulative)');
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(subB), [], 'an ACK redelivers nothing');

    await a.close();
    await b.messages(subB, 2, 'm4 and m5, unacked when a disconnected');
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(subB).sort(), ['m4', 'm5'], 'm1 and m2 were acked by the ACK of m3');
    for (const m of subB.messages) assert.equal(m.headers.redelivered, 'true', `${m.body} is marked redelivered`);
    assert.deepEqual(a.stompErrors.map(describeFrame), []);
  });

  test('client: an ACK of the last message acks all; nothing is redelivered', async () => {
    const p = await connectPeer('producer');
    const a = await connectPeer('a');
    const d = dest('queue', 'client-all');
    const subA = await a.subscribe(d, { ack: 'client' });
    for (const body of ['m1', 'm2', 'm3']) await p.publish({ destination: d, body });
    await a.messages(subA, 3);
    subA.messages[2].ack();
    const b = await connectPeer('b');
    const subB = await b.subscribe(d);
    await a.close();
    // A marker sent after a left: b gets it, and nothing before it.
    await p.publish({ destination: d, body: 'marker' });
    await b.messages(subB, 1);
    await sleep(QUIET_MS);
    assert.deepEqual(bodies(subB), ['marker']);
  });
});

describe('/queue competing consumers', () => {
  test('20 messages to 2 subscribers: each delivered once, split round-robin', async () => {
    const p = await connectPeer('producer');
    const a = await connectPeer('a');
    const b = await connectPeer('b');
    const d = dest('queue', 'competing');
    const subA = await a.subscribe(d);
    const subB = await b.subscribe(d);
    const sent = [];
    for (let i = 1; i <= 20; i++) {
      const body = `job-${String(i).padStart(2, '0')}`;
      sent.push(body);
      p.client.publish({ destination: d, body });
    }
    await a.waitFor(() => subA.messages.length + subB.messages.length >= 20, '20 messages between a and b');
    await sleep(QUIET_MS);
    const got = [...bodies(subA), ...bodies(subB)];
    assert.equal(got.length, 20, `a got ${JSON.stringify(bodies(subA))}, b got ${JSON.stringify(bodies(subB))}`);
    assert.deepEqual([...got].sort(), sent, 'every message once, none duplicated');
    assert.ok(subA.messages.length > 0 && subB.messages.length > 0, 'both subscribers get messages');
    assert.equal(subA.messages.length, 10, `round-robin: a got ${JSON.stringify(bodies(subA))}`);
    assert.equal(subB.messages.length, 10, `round-robin: b got ${JSON.stringify(bodies(subB))}`);
    for (const sub of [subA, subB]) {
      assert.deepEqual(bodies(sub), [...bodies(sub)].sort(), 'each subscriber sees its share in order');
    }
  });
});

describe('heart-beats', () => {
  // The default server offers 10000,10000; a client's 200,200 offer
  // negotiates to 10 s both ways.
  test('CONNECTED says heart-beat:10000,10000 and an idle connection stays up', async () => {
    const a = await connectPeer('a', { heartbeatIncoming: 200, heartbeatOutgoing: 200 });
    assert.equal(a.connectedFrame.headers['heart-beat'], '10000,10000');
    assert.equal(a.connectedFrame.headers.version, '1.2');
    assert.ok(a.connectedFrame.headers.session, 'CONNECTED has a session header');
    assert.ok(a.connectedFrame.headers.server, 'CONNECTED has a server header');
    assert.ok(a.debugLines.includes('send PING every 10000ms'), `stompjs pings every 10000 ms: ${JSON.stringify(a.debugLines.filter((l) => /PING|PONG/.test(l)))}`);
    assert.ok(a.debugLines.includes('check PONG every 10000ms'), `stompjs expects the server every 10000 ms: ${JSON.stringify(a.debugLines.filter((l) => /PING|PONG/.test(l)))}`);

    const d = dest('topic', 'heartbeat');
    const sub = await a.subscribe(d);
    await sleep(2500); // idle: no frames either way
    assert.equal(a.closed, false, `the connection stays up while idle\n${a.state()}`);
    assert.equal(a.client.connected, true);
    await a.publish({ destination: d, body: 'still here' });
    await a.messages(sub, 1);
    assert.deepEqual(bodies(sub), ['still here']);
  });

  test('with a server beating every 100 ms, an idle stompjs connection is kept alive by heart-beats both ways', async () => {
    const fast = await startServer({ args: ['-heartbeat-send', '100ms', '-heartbeat-receive', '100ms'] });
    try {
      const a = await connectPeer('fast', { brokerURL: fast.wsURL, heartbeatIncoming: 100, heartbeatOutgoing: 100 });
      assert.equal(a.connectedFrame.headers['heart-beat'], '100,100');
      assert.ok(a.debugLines.includes('send PING every 100ms'), JSON.stringify(a.debugLines.filter((l) => /PING|PONG/.test(l))));
      assert.ok(a.debugLines.includes('check PONG every 100ms'), JSON.stringify(a.debugLines.filter((l) => /PING|PONG/.test(l))));
      // 15 intervals of silence: stompjs would close after 2 missed server
      // beats, the server after 2 missed client beats.
      await sleep(1500);
      assert.equal(a.closed, false, `the connection stays up on heart-beats alone\n${a.state()}`);
      const d = dest('topic', 'fastbeat');
      const sub = await a.subscribe(d);
      await a.publish({ destination: d, body: 'alive' });
      await a.messages(sub, 1);
      await a.close();
    } finally {
      await fast.stop();
    }
  });

  test('a client that asks for no heart-beats (0,0) connects', async () => {
    const a = await connectPeer('a', { heartbeatIncoming: 0, heartbeatOutgoing: 0 });
    assert.ok(a.connectedFrame.headers['heart-beat'] !== undefined, 'CONNECTED has a heart-beat header');
    assert.ok(!a.debugLines.some((l) => /PING every|PONG every/.test(l)), 'stompjs sets up no heart-beats');
  });
});

describe('bodies', () => {
  test('a binary body that is not UTF-8 arrives byte for byte, in a binary WebSocket message', async () => {
    const a = await connectPeer('a');
    const b = await connectPeer('b');
    const d = dest('topic', 'binary');
    const sub = await b.subscribe(d);
    const bytes = new Uint8Array([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x0a, 0x00, 0x0d, 0x3a,
      ...Array.from({ length: 256 }, (_, i) => 255 - i), 0x00]);
    await a.publish({ destination: d, binaryBody: bytes, headers: { 'content-type': 'application/octet-stream' } });
    const [m] = await b.messages(sub, 1);
    assert.ok(m.binaryBody instanceof Uint8Array);
    assert.equal(m.binaryBody.length, bytes.length, 'body length');
    assert.ok(Buffer.from(m.binaryBody).equals(Buffer.from(bytes)), `body bytes: got ${Buffer.from(m.binaryBody).toString('hex')}, want ${Buffer.from(bytes).toString('hex')}`);
    assert.equal(m.headers['content-length'], String(bytes.length));
    assert.equal(m.headers['content-type'], 'application/octet-stream');
    const raw = b.rawIn.filter((r) => r.command === 'MESSAGE');
    assert.equal(raw.length, 1, `one MESSAGE WebSocket message: ${JSON.stringify(b.rawIn)}`);
    assert.equal(raw[0].isBinary, true, 'a body that is not valid UTF-8 goes out in a binary WebSocket message');
  });

  test('a UTF-8 text body round-trips as message.body', async () => {
    const a = await connectPeer('a');
    const b = await connectPeer('b');
    const d = dest('topic', 'text');
    const sub = await b.subscribe(d);
    const text = '안녕하세요, 홍길동! héllo wörld 😀 ∑ \u0000 NUL inside, then "quotes" and \\ backslash\nnew line';
    await a.publish({ destination: d, body: text });
    const [m] = await b.messages(sub, 1);
    assert.equal(m.body, text);
    assert.equal(m.headers['content-length'], String(Buffer.byteLength(text)));
  });

  test('forceBinaryWSFrames on the sender and appendMissingNULLonIncoming on the receiver', async () => {
    const a = await connectPeer('a', { forceBinaryWSFrames: true });
    const b = await connectPeer('b', { appendMissingNULLonIncoming: true });
    const d = dest('topic', 'force-binary');
    const sub = await b.subscribe(d);
    const sub2 = await a.subscribe(d);
    await a.publish({ destination: d, body: '바이너리 프레임으로 보낸 텍스트' }, { receipt: true });
    await b.messages(sub, 1);
    await a.messages(sub2, 1);
    assert.deepEqual(bodies(sub), ['바이너리 프레임으로 보낸 텍스트']);
    assert.deepEqual(bodies(sub2), ['바이너리 프레임으로 보낸 텍스트']);
  });
});

describe('large frames', () => {
  test('a 512 KiB body round-trips intact', async () => {
    const a = await connectPeer('a');
    const b = await connectPeer('b');
    const d = dest('topic', 'large');
    const sub = await b.subscribe(d);
    const body = patternBody(512 << 10);
    await a.publish({ destination: d, body }, { receipt: true });
    const [m] = await b.messages(sub, 1);
    assertSameLongString(m.body, body, 'the 512 KiB body');
    assert.equal(m.headers['content-length'], String(body.length));
  });

  test('splitLargeFrames with 8 KiB chunks: a 200 KiB body round-trips intact', async () => {
    const a = await connectPeer('a', { splitLargeFrames: true, maxWebSocketChunkSize: 8192 });
    const b = await connectPeer('b');
    const d = dest('topic', 'split');
    const sub = await b.subscribe(d);
    const body = patternBody(200 << 10);
    a.debugLines.length = 0;
    await a.publish({ destination: d, body }, { receipt: true });
    const chunks = a.debugLines.filter((l) => l.startsWith('chunk sent = '));
    assert.ok(chunks.length >= 25, `stompjs split the SEND into ${chunks.length} WebSocket messages, want >= 25`);
    const [m] = await b.messages(sub, 1);
    assertSameLongString(m.body, body, 'the 200 KiB body');

    // The split client keeps working afterwards.
    const sub2 = await a.subscribe(d);
    await a.publish({ destination: d, body: 'small after large' });
    await a.messages(sub2, 1);
    assert.deepEqual(bodies(sub2), ['small after large']);
  });

  // Sends an oversized SEND from a fresh client and requires an ERROR with a
  // message header and a body naming the limit (namePattern), then the
  // close; another client keeps working throughout.
  async function expectLimitError(what, params, expectedMessage, namePattern) {
    const other = await connectPeer('other');
    const d = dest('topic', 'limit');
    const otherSub = await other.subscribe(d);
    const big = await connectPeer('big');
    const bigSub = await big.subscribe(d);

    big.log(`>>> SEND ${d} (${what})`);
    big.client.publish({ destination: d, ...params });
    await big.waitFor(() => big.stompErrors.length > 0, `an ERROR frame for ${what}`, { allowError: true });
    const err = big.stompErrors[0];
    const message = err.headers.message;
    // The message header names the limit; the body gives its value.
    assert.equal(message, expectedMessage, `the ERROR's message header: ${describeFrame(err)}`);
    assert.match(err.body, namePattern, `the ERROR's body gives the limit: ${describeFrame(err)}`);
    await big.waitFor(() => big.closed, `the server to close the connection after the ERROR for ${what}`, { allowError: true });
    assert.deepEqual(bodies(bigSub), [], 'the oversized message was not delivered to its sender');

    // The other client never noticed and still works.
    assert.equal(other.closed, false);
    assert.deepEqual(other.stompErrors.map(describeFrame), []);
    await other.publish({ destination: d, body: 'still working' }, { receipt: true });
    await other.messages(otherSub, 1);
    assert.deepEqual(bodies(otherSub), ['still working'], 'the oversized message was not delivered');
    return { other, d, otherSub };
  }

  test('a body over 1 MiB gets an ERROR naming the limit and a close; another client keeps working', async () => {
    const { other, d, otherSub } = await expectLimitError('a body of 1 MiB + 1 byte', { body: patternBody(MAX_BODY + 1) }, 'body too large', /limit is 1048576/);

    // A body of exactly the limit is accepted.
    const exact = await connectPeer('exact');
    const body = patternBody(MAX_BODY);
    await exact.publish({ destination: d, body }, { receipt: true });
    await other.messages(otherSub, 2, 'the message of exactly 1 MiB');
    assertSameLongString(otherSub.messages[1].body, body, 'the body of exactly 1 MiB');
  });

  test('a header line over 8 KiB gets an ERROR naming the limit and a close', async () => {
    await expectLimitError('a 9000-byte header value', { body: 'x', headers: { 'x-long': 'v'.repeat(9000) } }, 'header line too long', /limit is 8192/);
  });

  test('more than 64 headers get an ERROR naming the limit and a close', async () => {
    const headers = {};
    for (let i = 0; i < 70; i++) headers[`x-h${i}`] = String(i);
    await expectLimitError('a SEND with 72 headers', { body: 'x', headers }, 'too many headers', /limit is 64\b/);
  });
});

describe('STOMP versions', () => {
  for (const [version, protocol] of [['1.1', 'v11.stomp'], ['1.0', 'v10.stomp']]) {
    test(`stompVersions ['${version}'] connects as ${version} and exchanges a message`, async () => {
      const a = await connectPeer(`a${version}`, { stompVersions: new Versions([version]) });
      assert.equal(a.client.connectedVersion, version, 'connectedVersion');
      assert.equal(a.connectedFrame.headers.version, version, 'CONNECTED version header');
      assert.equal(a.client.webSocket.protocol, protocol, 'WebSocket subprotocol');
      const d = dest('topic', `v${version}`);
      const sub = await a.subscribe(d);
      await a.publish({ destination: d, body: `hello over ${version}`, headers: { 'x-version': version } }, { receipt: true });
      const [m] = await a.messages(sub, 1);
      assert.equal(m.body, `hello over ${version}`);
      assert.equal(m.headers['x-version'], version);
      assert.equal(m.headers.destination, d);
      assert.equal(m.headers.subscription, sub.id);
      assert.ok(m.headers['message-id']);
    });
  }

  test('STOMP 1.1: NACK (by message-id) redelivers to the other subscriber', async () => {
    const v11 = { stompVersions: new Versions(['1.1']) };
    const a = await connectPeer('a11', v11);
    const b = await connectPeer('b11', v11);
    const d = dest('queue', 'v11-nack');
    const subA = await a.subscribe(d, { ack: 'client-individual' });
    await b.publish({ destination: d, body: 'nack me' });
    const [m] = await a.messages(subA, 1);
    assert.ok(m.headers['message-id']);
    const subB = await b.subscribe(d);
    m.nack(); // 1.1: NACK message-id:... subscription:...
    a.log(`>>> NACK message-id:${m.headers['message-id']} subscription:${subA.id}`);
    await b.messages(subB, 1, 'the NACKed message at b');
    assert.equal(subB.messages[0].body, 'nack me');
    assert.equal(subB.messages[0].headers.redelivered, 'true');
    await sleep(QUIET_MS);
    assert.deepEqual(a.stompErrors.map(describeFrame), [], 'the 1.1 NACK is accepted');
    assert.equal(a.closed, false);
    assert.deepEqual(bodies(subA), ['nack me']);
  });
});

describe('header escaping (STOMP 1.2)', () => {
  test('a header value with :, \\n and \\\\ survives SEND -> MESSAGE', async () => {
    const a = await connectPeer('a');
    const b = await connectPeer('b');
    const d = dest('topic', 'escape');
    const sub = await b.subscribe(d);
    // stompjs 7.5 unescapes \n before \\, so a backslash must not be
    // followed by n, r, c or another backslash here.
    const value = 'key:value\nsecond line\\path:end';
    await a.publish({ destination: d, body: 'escaped', headers: { 'x-tricky': value, 'x-plain': 'plain' } }, { receipt: true });
    const [m] = await b.messages(sub, 1);
    assert.equal(m.headers['x-tricky'], value);
    assert.equal(m.headers['x-plain'], 'plain');
    assert.equal(m.body, 'escaped');
  });
});
