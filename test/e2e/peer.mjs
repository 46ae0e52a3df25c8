// The harness the stompjs end-to-end tests share: a Peer wraps one real
// @stomp/stompjs Client and records everything it saw, so that every
// bounded wait can fail with what each client saw and the server's log.
//
// createHarness(getServer) holds one test file's clients; getServer
// returns that file's current server (from startServer in server.mjs).
import path from 'node:path';
import WebSocket from 'ws';
import { Client } from '@stomp/stompjs';
import { withTimeout, Waits } from './server.mjs';

// Node 20 has no global WebSocket; stompjs uses the global one.
Object.assign(globalThis, { WebSocket });

export const WAIT_MS = 10_000;

export const short = (s, n = 200) => (s.length > n ? `${s.slice(0, n)}...(${s.length} chars)` : s);

export function describeFrame(frame) {
  const headers = Object.entries(frame.headers).map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(' ');
  let body;
  if (!frame.isBinaryBody) {
    body = JSON.stringify(short(frame.body));
  } else {
    try {
      body = JSON.stringify(short(new TextDecoder('utf-8', { fatal: true }).decode(frame.binaryBody)));
    } catch {
      body = `<${frame.binaryBody.length} bytes, not UTF-8>`;
    }
  }
  return `${frame.command} ${headers} ${body}`;
}

export const bodies = (sub) => sub.messages.map((m) => m.body);

/**
 * The clients of one test file. getServer returns the server they connect
 * to (its wsURL) and whose log failures show (its logs()); the log is
 * labelled with the server's program name, e.g. "parity output".
 */
export function createHarness(getServer) {
  const harness = {
    peers: [], // this test's clients: closed and forgotten by closeAll
    waits: new Waits(), // every pending waitFor, rechecked on any client's event
    getServer,

    // An error with message, what every client saw and the tail of the
    // server's log.
    failure(message) {
      const seen = harness.peers.map((p) => p.state()).join('\n');
      const server = getServer();
      const label = server ? `${path.basename(server.child.spawnfile)} output` : 'server output';
      const out = server ? server.logs() : '';
      const tail = out.length > 6000 ? `...${out.slice(-6000)}` : out;
      return new Error(`${message}\n${seen}\n--- ${label} (tail) ---\n${tail}`);
    },

    // A new Peer (see its constructor for options), once CONNECTED.
    async connectPeer(name, options) {
      const p = new Peer(harness, name, options);
      await p.connected();
      return p;
    },

    async closeAll() {
      await Promise.allSettled(harness.peers.map((p) => p.close()));
      harness.peers.length = 0;
    },
  };
  return harness;
}

// One stompjs Client, logged in as login if given, with a record of
// everything it saw. The other options go to the Client (they may
// override brokerURL).
export class Peer {
  constructor(harness, name, { login, ...config } = {}) {
    this.harness = harness;
    this.name = name;
    this.login = login;
    this.events = []; // what happened, in order, for failure messages
    this.stompErrors = [];
    this.closes = [];
    this.unhandled = []; // MESSAGEs for no subscription of ours
    this.debugLines = [];
    this.rawIn = []; // {isBinary, size, command} per WebSocket message received
    this.receiptCount = 0;

    let connectedResolve;
    let connectedReject;
    this._connected = new Promise((resolve, reject) => {
      connectedResolve = resolve;
      connectedReject = reject;
    });
    this._connected.catch(() => {}); // reported when awaited

    this.client = new Client({
      brokerURL: harness.getServer().wsURL,
      reconnectDelay: 0,
      connectHeaders: login === undefined ? {} : { login },
      debug: (line) => {
        if (this.debugLines.length < 2000) this.debugLines.push(line);
      },
      ...config,
      onConnect: (frame) => {
        this.connectedFrame = frame;
        this.log(`<<< ${describeFrame(frame)}`);
        const ws = this.client.webSocket;
        ws.on('message', (data, isBinary) => {
          const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
          const nl = buf.indexOf(10);
          this.rawIn.push({ isBinary, size: buf.length, command: buf.subarray(0, nl < 0 ? Math.min(buf.length, 20) : nl).toString('latin1') });
        });
        connectedResolve(frame);
        this.notify();
      },
      onStompError: (frame) => {
        this.stompErrors.push(frame);
        this.log(`<<< ${describeFrame(frame)}`);
        connectedReject(new Error(`${name}: STOMP ERROR before CONNECTED: ${describeFrame(frame)}`));
        this.notify();
      },
      onWebSocketClose: (evt) => {
        this.closes.push({ code: evt.code, reason: String(evt.reason ?? '') });
        this.log(`WebSocket closed ${evt.code} ${JSON.stringify(String(evt.reason ?? ''))}`);
        connectedReject(new Error(`${name}: WebSocket closed (${evt.code}) before CONNECTED`));
        this.notify();
      },
      onWebSocketError: (evt) => {
        this.log(`WebSocket error ${evt?.message ?? evt?.error?.message ?? String(evt)}`);
        this.notify();
      },
      onUnhandledMessage: (m) => { this.unhandled.push(m); this.log(`unhandled <<< ${describeFrame(m)}`); this.notify(); },
      onUnhandledReceipt: (f) => { this.log(`unhandled <<< ${describeFrame(f)}`); this.notify(); },
      onUnhandledFrame: (f) => { this.log(`unhandled <<< ${describeFrame(f)}`); this.notify(); },
    });
    harness.peers.push(this);
    this.client.activate();
  }

  log(line) {
    this.events.push(line);
  }

  notify() {
    this.harness.waits.notify();
  }

  get closed() {
    return this.closes.length > 0;
  }

  // The session id from CONNECTED.
  get session() {
    return this.connectedFrame?.headers.session;
  }

  state() {
    const events = this.events.length > 60 ? ['...', ...this.events.slice(-60)] : this.events;
    const login = this.login === undefined ? '' : ` (login ${JSON.stringify(this.login)})`;
    return `${this.name}${login} saw:\n  ${events.join('\n  ') || '(nothing)'}`;
  }

  // Resolves once pred() holds. Unless allowError, an ERROR frame or a
  // closed WebSocket fails the wait at once.
  waitFor(pred, what, { ms = WAIT_MS, allowError = false } = {}) {
    const { waits, failure } = this.harness;
    const errorsBefore = this.stompErrors.length;
    const closesBefore = this.closes.length;
    return waits.until(() => {
      const value = pred();
      if (!value && !allowError && (this.stompErrors.length > errorsBefore || this.closes.length > closesBefore)) {
        throw failure(`${this.name} got an ERROR or lost its connection while waiting for ${what}`);
      }
      return value;
    }, () => failure(`timed out after ${ms} ms waiting for ${this.name} to see ${what}`), ms);
  }

  async connected() {
    try {
      return await withTimeout(this._connected, WAIT_MS, `${this.name} to connect`);
    } catch (err) {
      throw this.harness.failure(err.message);
    }
  }

  // Registers a watcher for a receipt; the returned function waits for it.
  watchReceipt(prefix = 'r') {
    const id = `${prefix}-${this.name}-${++this.receiptCount}`;
    let frame = null;
    this.client.watchForReceipt(id, (f) => {
      frame = f;
      this.log(`<<< ${describeFrame(f)}`);
      this.notify();
    });
    return { id, wait: () => this.waitFor(() => frame, `RECEIPT receipt-id:${id}`) };
  }

  // SUBSCRIBE with headers; unless receipt is false, resolves once its
  // RECEIPT arrives.
  async subscribe(destination, headers = {}, { receipt = true } = {}) {
    const sub = { destination, messages: [] };
    const r = receipt ? this.watchReceipt('sub') : null;
    sub.handle = this.client.subscribe(destination, (m) => {
      sub.messages.push(m);
      this.log(`<<< ${describeFrame(m)}`);
      this.notify();
    }, r ? { ...headers, receipt: r.id } : { ...headers });
    sub.id = sub.handle.id;
    this.log(`>>> SUBSCRIBE ${destination} id:${sub.id} ${JSON.stringify(headers)}${r ? ` receipt:${r.id}` : ''}`);
    if (r) await r.wait();
    return sub;
  }

  // SEND; with receipt: true, resolves once the RECEIPT arrives.
  async publish(params, { receipt = false } = {}) {
    const headers = { ...(params.headers ?? {}) };
    let r;
    if (receipt) {
      r = this.watchReceipt('send');
      headers.receipt = r.id;
    }
    this.log(`>>> SEND ${params.destination} ${JSON.stringify(headers)} ${params.binaryBody ? `<${params.binaryBody.length} bytes>` : JSON.stringify(short(params.body ?? ''))}`);
    this.client.publish({ ...params, headers });
    if (r) await r.wait();
  }

  // Waits until sub has at least n messages.
  messages(sub, n, what = `${n} message(s) on ${sub.destination}`, opts = {}) {
    return this.waitFor(() => sub.messages.length >= n && sub.messages, what, opts);
  }

  async close() {
    try {
      await withTimeout(this.client.deactivate(), WAIT_MS, `${this.name} to deactivate`);
    } catch {
      await this.client.deactivate({ force: true }).catch(() => {});
    }
  }
}
