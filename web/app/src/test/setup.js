// Builds a chat client on a fake transport and memory storage.
import { createChatClient } from '../chat-client.js';
import { createStore } from '../storage.js';
import { fakeTransport, memoryStorage } from './fake-stomp.js';

export function line(id, name, content, extra = {}) {
  return { id, room: 'lobby', name, content, ts: 1767225600000 + Number(id) * 1000, ...extra };
}

export function setup({ storage = {}, now } = {}) {
  const transport = fakeTransport();
  const backend = memoryStorage(storage);
  const store = createStore(backend);
  const notes = [];
  const env = { hidden: false };
  let n = 0;
  const client = createChatClient({
    transport,
    store,
    url: 'ws://test/chat-app',
    now,
    notify: (x) => notes.push(x),
    isHidden: () => env.hidden,
    newId: () => 'cid-' + ++n,
    crypto: { getRandomValues: (a) => a.fill(0xab) },
  });
  return { client, transport, backend, store, notes, env };
}

// connectAs connects and answers the first round of questions: the room
// list, and for each joined room its members and history.
export function connectAs(t, name = '홍길동', { rooms = [], members = {}, history = {} } = {}) {
  t.client.connect(name);
  const s = t.transport.last();
  s.open(name);
  s.reply('/app/rooms', rooms);
  for (const room of t.client.state.joined) {
    s.reply(`/app/rooms/${room}/members`, members[room] ?? [{ name }]);
    s.reply(`/app/rooms/${room}/history`, history[room] ?? []);
  }
  return s;
}
