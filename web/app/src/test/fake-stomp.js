// A stand-in for the @stomp/stompjs Client, shaped like the transport that
// chat-client.js expects, with server-side helpers for tests: open() sends
// CONNECTED, refuse() an ERROR, drop() loses the connection (stompjs keeps
// the same Client object and reconnects it, so does this), deliver() sends
// a MESSAGE to every live subscription of a destination, reply() answers
// the latest live subscription of an /app destination.

export class FakeStomp {
  constructor(config) {
    this.config = config;
    this.active = false;
    this.connected = false;
    this.subs = [];
    this.published = [];
    this.nextId = 0;
  }

  activate() {
    this.active = true;
  }

  deactivate() {
    this.active = false;
    this.connected = false;
    return Promise.resolve();
  }

  subscribe(destination, callback, headers = {}) {
    if (!this.connected) throw new TypeError('There is no underlying STOMP connection');
    const sub = { id: 'sub-' + this.nextId++, destination, callback, headers: { ...headers }, live: true };
    sub.unsubscribe = () => {
      if (!this.connected) throw new TypeError('There is no underlying STOMP connection');
      sub.live = false;
      sub.unsubscribed = true;
    };
    this.subs.push(sub);
    return sub;
  }

  publish(p) {
    if (!this.connected) throw new TypeError('There is no underlying STOMP connection');
    this.published.push({ ...p, json: p.body ? JSON.parse(p.body) : undefined });
  }

  // --- the server's side ---

  open(userName) {
    this.connected = true;
    this.config.onConnect({ command: 'CONNECTED', headers: { 'user-name': userName }, body: '' });
  }

  refuse(body) {
    this.config.onStompError({ command: 'ERROR', headers: { message: 'access denied' }, body });
    this.connected = false;
    this.config.onWebSocketClose?.({ code: 1002 });
  }

  drop() {
    this.connected = false;
    for (const s of this.subs) s.live = false;
    this.config.onWebSocketClose?.({ code: 1006 });
  }

  live(destination) {
    return this.subs.filter((s) => s.live && s.destination === destination);
  }

  frame(sub, body, headers) {
    return {
      command: 'MESSAGE',
      headers: { destination: sub.destination, subscription: sub.id, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    };
  }

  deliver(destination, body, headers = {}) {
    const subs = this.live(destination);
    for (const s of subs) s.callback(this.frame(s, body, headers));
    return subs.length;
  }

  reply(destination, body) {
    const subs = this.live(destination);
    if (!subs.length) throw new Error(`nobody asked ${destination}`);
    const s = subs[subs.length - 1];
    s.callback(this.frame(s, body, {}));
    return s;
  }

  sent(destination) {
    return this.published.filter((p) => p.destination === destination);
  }
}

export function fakeTransport() {
  const made = [];
  const transport = (config) => {
    const c = new FakeStomp(config);
    made.push(c);
    return c;
  };
  transport.made = made;
  transport.last = () => made[made.length - 1];
  return transport;
}

// memoryStorage is a localStorage stand-in whose contents a test can see.
export function memoryStorage(initial = {}) {
  const m = new Map(Object.entries(initial));
  return {
    map: m,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}
