// chat-client.js holds the chat protocol of stompbox (STOMP 1.2 over a
// WebSocket, JSON bodies) and the state the components render. It talks to
// the server through a transport: a function that takes a stompjs-style
// configuration and returns an object with activate, deactivate,
// subscribe(destination, callback, headers) and publish({destination, body,
// headers}). stomp-transport.js makes the real one from @stomp/stompjs;
// the tests pass a fake, so nothing here needs a server or a socket.
//
// Destinations used (R is a room name):
//   subscribe /user/queue/errors      {"destination","code","message"}
//   subscribe /topic/rooms            a new room {"name","members","lastActivity"}
//   subscribe /topic/rooms.R          chat lines {"id","room","name","content","ts"}
//   subscribe /topic/rooms.R.members  {"type":"join"|"leave","name"}
//   subscribe /topic/rooms.R.typing   {"name"}
//   ask       /app/rooms              [{"name","members","lastActivity"}]
//   ask       /app/rooms/R/members    [{"name"}]
//   ask       /app/rooms/R/history    lines, oldest first (headers before/after/limit)
//   send      /app/rooms              {"name"}
//   send      /app/rooms/R/chat       {"content"}, header client-id
//   send      /app/rooms/R/typing     {}
// "ask" is a SUBSCRIBE to an /app destination, which the server answers
// with exactly one MESSAGE; the subscription stays registered there (and
// counts against the session's budget) until it is unsubscribed, so each
// one is unsubscribed as soon as its answer arrives.
import { reactive } from 'vue';
import { KEYS, randomHex, secret as browserSecret } from './storage.js';
import { compareIds, isChatLine, mergeLines, parseJSON } from './lines.js';
import { mentions } from './text.js';
import { validateContent, validateName, validateRoom } from './validate.js';

export const DEFAULT_ROOM = 'lobby';
export const HISTORY_PAGE = 50; // what the server sends without a limit
export const CATCHUP_PAGE = 200; // the largest page the server allows
export const TYPING_SEND_EVERY = 2000; // the server allows one a second
export const TYPING_SHOW_FOR = 3000;
export const TOAST_FOR = 6000;
export const ROOMS_REFRESH_EVERY = 60000;
// KEEP_LINES bounds the lines a room keeps in memory: past it the oldest
// go (load older brings them back), so a busy room cannot fill the tab.
export const KEEP_LINES = 1000;
export const CREATE_WAIT = 4000;
const MAX_SYSTEM_LINES = 300;
const MAX_TOASTS = 4;

// brokerURL is the STOMP endpoint of the server that served the page.
export function brokerURL(loc = globalThis.location) {
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host + '/chat-app';
}

function defaultNotify({ title, body, tag }) {
  const N = globalThis.Notification;
  if (!N || N.permission !== 'granted') return;
  try {
    new N(title, { body, tag });
  } catch {
    // Some platforms only allow notifications from a service worker.
  }
}

function defaultHidden() {
  return globalThis.document?.visibilityState === 'hidden';
}

function defaultNewId() {
  return globalThis.crypto?.randomUUID ? globalThis.crypto.randomUUID() : randomHex(16);
}

// createChatClient returns {state, ...actions}. Options:
//   transport  (config) => stompjs-like client (required)
//   store      storage.js createStore() result (required)
//   url        the broker URL (default brokerURL())
//   now, setTimer, clearTimer  clock and timers (default Date.now, setTimeout, clearTimeout)
//   notify     ({title, body, tag, room}) => void, a browser notification
//   isHidden   () => bool, whether the page is out of sight
//   newId      () => string, a client-id for a chat line
//   crypto     for the browser secret (default globalThis.crypto)
//   debug      stompjs debug output, or undefined
export function createChatClient(opts) {
  const {
    transport,
    store,
    now = () => Date.now(),
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(t),
    notify = defaultNotify,
    isHidden = defaultHidden,
    newId = defaultNewId,
    debug,
  } = opts;
  const url = opts.url ?? brokerURL();

  const state = reactive({
    status: 'disconnected', // connected | connecting | disconnected
    wanted: false, // the user asked to be connected and was not refused
    everConnected: false, // this connect() reached CONNECTED at least once
    user: '', // the name the server accepted (CONNECTED user-name)
    name: store.get(KEYS.name) ?? '', // the name last typed
    connectError: '', // why the server refused the name
    rooms: {}, // every room we know of: name -> {name, members, lastActivity}
    joined: [], // joined room names, in the order joined
    current: '', // the room in view
    views: {}, // joined room name -> room view, see newView
    toasts: [],
  });

  let client = null;
  let roomsTimer = null;
  let createTimer = null;
  let pendingCreate = '';
  let restored = false;
  let seq = 0;
  let toastSeq = 0;
  const seen = new Map(); // room -> Set of ids, beside views (not reactive)
  // room -> the highest id up to which every line is here. Ids start at 1
  // and have no gaps; a line broadcast out of order and missed during a
  // disconnect would sit below a later one that arrived, so a reconnect
  // catches up from here, not from the last line shown.
  const synced = new Map();
  const handles = new Map(); // room -> stompjs subscriptions of its topics
  const lastTyping = new Map(); // room -> when we last sent typing
  const greeted = new Set(); // rooms whose own join line was shown

  function newView() {
    return {
      lines: [], // chat lines, sorted by id, no id twice
      system: [], // {kind:'system', type, name, after, seq}
      members: [], // names online
      pending: [], // own lines not yet seen back: {clientId, content, at}
      typing: {}, // name -> until (ms)
      unread: 0,
      mentioned: false,
      loaded: false, // the first history page came
      hasOlder: false,
      loadingOlder: false,
    };
  }

  const connected = () => state.status === 'connected' && client != null;
  const view = (room) => state.views[room];

  function persistRooms() {
    store.setJSON(KEYS.rooms, state.joined);
    if (state.current) store.set(KEYS.room, state.current);
  }

  function knowRoom(r) {
    if (!r || typeof r.name !== 'string' || validateRoom(r.name)) return;
    const old = state.rooms[r.name] ?? { name: r.name, members: 0, lastActivity: 0 };
    state.rooms[r.name] = {
      name: r.name,
      members: Number.isFinite(r.members) ? r.members : old.members,
      lastActivity: Math.max(Number(r.lastActivity) || 0, old.lastActivity),
    };
  }

  // ask subscribes to an /app destination for its one answer, then
  // unsubscribes at once: the server keeps such subscriptions registered.
  function ask(destination, headers, onReply) {
    const c = client;
    let sub = null;
    let done = false;
    sub = c.subscribe(
      destination,
      (frame) => {
        if (done) return;
        done = true;
        if (sub) sub.unsubscribe();
        if (client !== c) return;
        onReply(parseJSON(frame.body), frame);
      },
      headers,
    );
    if (done) sub.unsubscribe();
  }

  // --- toasts and notifications ---

  function toast(t) {
    const item = { id: ++toastSeq, ...t };
    state.toasts.push(item);
    while (state.toasts.length > MAX_TOASTS) state.toasts.shift();
    setTimer(() => dismissToast(item.id), TOAST_FOR);
    return item;
  }

  function dismissToast(id) {
    const i = state.toasts.findIndex((t) => t.id === id);
    if (i !== -1) state.toasts.splice(i, 1);
  }

  // --- chat lines ---

  function system(room, type, name) {
    const v = view(room);
    if (!v) return;
    if (name === state.user) {
      // Our own join shows once per room; a reconnect is no new greeting.
      if (type === 'leave' || greeted.has(room)) return;
      greeted.add(room);
    }
    const last = v.lines.length ? v.lines[v.lines.length - 1].id : null;
    v.system.push({ kind: 'system', type, name, after: last, seq: ++seq, key: 's' + seq });
    if (v.system.length > MAX_SYSTEM_LINES) v.system.splice(0, v.system.length - MAX_SYSTEM_LINES);
  }

  // A history answer describes what came before now: system lines that
  // arrived before any chat line was known are placed after it.
  function anchorSystem(v) {
    if (!v.lines.length) return;
    const last = v.lines[v.lines.length - 1].id;
    for (const s of v.system) if (s.after == null) s.after = last;
  }

  function settlePending(v, m, frame) {
    if (!v.pending.length) return;
    const cid = frame?.headers?.['client-id'] ?? m.clientId;
    let i = cid ? v.pending.findIndex((p) => p.clientId === cid) : -1;
    if (i === -1) i = v.pending.findIndex((p) => p.content === m.content);
    if (i !== -1) v.pending.splice(i, 1);
  }

  // fresh handles lines new to us that happened after we last looked: live
  // ones and those caught up after a reconnect. Older pages are not fresh.
  // trim drops a room's oldest lines past KEEP_LINES, with their ids and
  // the join/leave lines before them; older lines can be loaded again.
  function trim(room) {
    const v = view(room);
    const extra = v.lines.length - KEEP_LINES;
    if (extra <= 0) return;
    const ids = seen.get(room);
    for (const m of v.lines.splice(0, extra)) ids?.delete(String(m.id));
    const first = v.lines[0].id;
    v.system = v.system.filter((s) => s.after == null || compareIds(s.after, first) >= 0);
    v.hasOlder = true;
  }

  function fresh(room, added, frame) {
    const v = view(room);
    trim(room);
    const info = state.rooms[room];
    for (const m of added) {
      if (info && Number(m.ts) > info.lastActivity) info.lastActivity = Number(m.ts);
      delete v.typing[m.name];
      if (m.name === state.user) {
        settlePending(v, m, frame);
        continue;
      }
      const away = room !== state.current;
      if (away) v.unread++;
      if (!mentions(m.content, state.user)) continue;
      if (away) {
        v.mentioned = true;
        toast({ kind: 'mention', room, name: m.name, text: m.content });
      }
      if (away || isHidden()) {
        notify({ title: `${m.name} @ ${room}`, body: m.content, tag: `stompbox-${room}`, room });
      }
    }
  }

  function onLine(room, frame) {
    const v = view(room);
    if (!v) return;
    const m = parseJSON(frame.body);
    if (!isChatLine(m)) return;
    const added = mergeLines(v.lines, [m], seen.get(room));
    advance(room);
    if (added.length) fresh(room, added, frame);
  }

  function onMembers(room, frame) {
    const v = view(room);
    const e = parseJSON(frame.body);
    if (!v || !e || typeof e.name !== 'string') return;
    if (e.type === 'join') {
      if (!v.members.includes(e.name)) v.members.push(e.name);
      system(room, 'join', e.name);
    } else if (e.type === 'leave') {
      const i = v.members.indexOf(e.name);
      if (i !== -1) v.members.splice(i, 1);
      delete v.typing[e.name];
      system(room, 'leave', e.name);
    } else {
      return;
    }
    if (state.rooms[room]) state.rooms[room].members = v.members.length;
  }

  function onTyping(room, frame) {
    const v = view(room);
    const e = parseJSON(frame.body);
    if (!v || !e || typeof e.name !== 'string' || e.name === state.user) return;
    v.typing[e.name] = now() + TYPING_SHOW_FOR;
    setTimer(() => pruneTyping(room), TYPING_SHOW_FOR);
  }

  function pruneTyping(room) {
    const v = view(room);
    if (!v) return;
    const t = now();
    for (const [name, until] of Object.entries(v.typing)) if (until <= t) delete v.typing[name];
  }

  // --- rooms ---

  // olderExists: ids start at 1 in every room and have no gaps, so a page
  // whose first line is not 1 has lines before it. (A page may hold fewer
  // lines than asked when they are long, so its length says nothing.)
  const olderExists = (list) => list.length > 0 && Number(list[0].id) > 1;

  // sync records that a history page (the latest, or one after an id) has
  // every line up to its last, then moves past lines that came live.
  function sync(room, list) {
    let s = synced.get(room) ?? 0;
    for (const m of list) if (isChatLine(m) && Number(m.id) > s) s = Number(m.id);
    synced.set(room, s);
    advance(room);
  }

  function advance(room) {
    if (!synced.has(room)) return;
    let s = synced.get(room);
    const ids = seen.get(room);
    while (ids && ids.has(String(s + 1))) s++;
    synced.set(room, s);
  }

  function askHistory(room) {
    const v = view(room);
    if (v.loaded && synced.has(room)) {
      catchUp(room, synced.get(room));
      return;
    }
    ask(`/app/rooms/${room}/history`, {}, (list) => {
      const w = view(room);
      if (!w || !Array.isArray(list)) return;
      mergeLines(w.lines, list, seen.get(room));
      sync(room, list);
      anchorSystem(w);
      w.loaded = true;
      w.hasOlder = olderExists(list);
    });
  }

  // catchUp asks for what came after the last line seen, page by page until
  // a page comes back empty, and treats it as new (unread counts, mentions).
  function catchUp(room, after) {
    ask(
      `/app/rooms/${room}/history`,
      { after: String(after), limit: String(CATCHUP_PAGE) },
      (list) => {
        const w = view(room);
        if (!w || !Array.isArray(list)) return;
        const added = mergeLines(w.lines, list, seen.get(room));
        sync(room, list);
        anchorSystem(w);
        w.loaded = true;
        if (added.length) fresh(room, added);
        if (list.length > 0) {
          let max = after;
          for (const m of list) if (isChatLine(m) && compareIds(m.id, max) > 0) max = m.id;
          if (compareIds(max, after) > 0) catchUp(room, max);
        }
      },
    );
  }

  function subscribeRoom(room) {
    const c = client;
    unsubscribeRoom(room);
    handles.set(room, [
      c.subscribe(`/topic/rooms.${room}`, (f) => onLine(room, f)),
      c.subscribe(`/topic/rooms.${room}.members`, (f) => onMembers(room, f)),
      c.subscribe(`/topic/rooms.${room}.typing`, (f) => onTyping(room, f)),
    ]);
    // The topic first, then the history: nothing falls in between.
    ask(`/app/rooms/${room}/members`, {}, (list) => {
      const v = view(room);
      if (!v || !Array.isArray(list)) return;
      v.members = [...new Set(list.map((m) => m?.name).filter((n) => typeof n === 'string'))];
      if (state.rooms[room]) state.rooms[room].members = v.members.length;
    });
    askHistory(room);
  }

  function unsubscribeRoom(room) {
    const hs = handles.get(room);
    handles.delete(room);
    if (!hs || !connected()) return;
    for (const h of hs) {
      try {
        h.unsubscribe();
      } catch {
        // The connection went away; so did the subscription.
      }
    }
  }

  function refreshRooms() {
    if (!connected()) return;
    ask('/app/rooms', {}, (list) => {
      if (Array.isArray(list)) for (const r of list) knowRoom(r);
    });
  }

  // join makes room one of ours (subscribed while connected, kept in
  // stompbox.rooms) and, unless {view: false}, puts it in view.
  function join(room, { show = true } = {}) {
    const bad = validateRoom(room);
    if (bad) return bad;
    if (!state.views[room]) {
      state.views[room] = newView();
      seen.set(room, new Set());
      synced.delete(room);
      state.joined.push(room);
      if (!state.rooms[room]) knowRoom({ name: room, members: 0, lastActivity: 0 });
      if (connected()) subscribeRoom(room);
    }
    if (show || !state.current) viewRoom(room);
    persistRooms();
    return '';
  }

  function leave(room) {
    if (!state.views[room]) return;
    unsubscribeRoom(room);
    delete state.views[room];
    seen.delete(room);
    synced.delete(room);
    greeted.delete(room);
    state.joined.splice(state.joined.indexOf(room), 1);
    if (state.current === room) {
      state.current = state.joined[0] ?? '';
      if (state.current) viewRoom(state.current);
    }
    persistRooms();
  }

  function viewRoom(room) {
    const v = view(room);
    if (!v) return;
    state.current = room;
    v.unread = 0;
    v.mentioned = false;
    for (const t of [...state.toasts]) if (t.kind === 'mention' && t.room === room) dismissToast(t.id);
    store.set(KEYS.room, room);
  }

  function createRoom(raw) {
    const name = String(raw ?? '').trim();
    const bad = validateRoom(name);
    if (bad) return bad;
    if (state.rooms[name] || state.views[name] || !connected()) return join(name);
    pendingCreate = name;
    client.publish({
      destination: '/app/rooms',
      body: JSON.stringify({ name }),
      headers: { 'content-type': 'application/json' },
    });
    if (createTimer) clearTimer(createTimer);
    // Normally the announcement on /topic/rooms triggers the join; if it
    // does not come (a race with someone creating the same room), join.
    createTimer = setTimer(() => {
      createTimer = null;
      if (pendingCreate === name) {
        pendingCreate = '';
        join(name);
      }
    }, CREATE_WAIT);
    return '';
  }

  // --- sending ---

  function publishLine(room, p) {
    client.publish({
      destination: `/app/rooms/${room}/chat`,
      body: JSON.stringify({ content: p.content }),
      headers: { 'client-id': p.clientId, 'content-type': 'application/json' },
    });
  }

  // send sends a chat line to the room in view. While reconnecting it is
  // kept and sent on reconnect with the same client-id; a line whose echo
  // did not come back before a disconnect is sent again the same way, and
  // the server stores it once.
  function send(content, room = state.current) {
    const bad = validateContent(content);
    if (bad) return bad;
    const v = view(room);
    if (!v) return 'error.badRoom';
    const p = { clientId: newId(), content, at: now() };
    v.pending.push(p);
    if (connected()) publishLine(room, p);
    return '';
  }

  function typing(room = state.current) {
    if (!connected() || !view(room)) return;
    const t = now();
    if (lastTyping.has(room) && t - lastTyping.get(room) < TYPING_SEND_EVERY) return;
    lastTyping.set(room, t);
    client.publish({
      destination: `/app/rooms/${room}/typing`,
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
  }

  // loadOlder asks for the page before the oldest line in view; it resolves
  // once the page is in (or at once when there is nothing to ask).
  function loadOlder(room = state.current) {
    const v = view(room);
    if (!v || !connected() || v.loadingOlder || !v.hasOlder || !v.lines.length) {
      return Promise.resolve(0);
    }
    v.loadingOlder = true;
    return new Promise((resolve) => {
      ask(
        `/app/rooms/${room}/history`,
        { before: String(v.lines[0].id), limit: String(HISTORY_PAGE) },
        (list) => {
          const w = view(room);
          if (!w) return resolve(0);
          w.loadingOlder = false;
          if (!Array.isArray(list)) return resolve(0);
          const added = mergeLines(w.lines, list, seen.get(room));
          w.hasOlder = olderExists(list);
          resolve(added.length);
        },
      );
    });
  }

  // --- the connection ---

  function onError(frame) {
    const e = parseJSON(frame.body);
    if (!e || typeof e !== 'object') return;
    const dest = typeof e.destination === 'string' ? e.destination : '';
    if (dest === '/app/rooms' && pendingCreate) {
      pendingCreate = '';
      if (createTimer) clearTimer(createTimer);
      createTimer = null;
    }
    // A typing event that was turned down (rate, membership) is no news.
    if (/\/typing$/.test(dest)) return;
    const chat = /^\/app\/rooms\/(.+)\/chat$/.exec(dest);
    if (chat && view(chat[1])?.pending.length) view(chat[1]).pending.shift();
    toast({ kind: 'error', code: String(e.code ?? ''), text: String(e.message ?? '') });
  }

  function restoreRooms() {
    if (restored) return;
    restored = true;
    const saved = store.getJSON(KEYS.rooms);
    const cur = store.get(KEYS.room); // read first: joining writes it
    const rooms = Array.isArray(saved) ? saved : [DEFAULT_ROOM];
    for (const r of rooms) if (typeof r === 'string' && !validateRoom(r)) join(r, { show: false });
    if (cur && state.views[cur]) viewRoom(cur);
    else if (state.joined.length) viewRoom(state.joined[0]);
    persistRooms();
  }

  function onConnect(c, frame) {
    if (client !== c) return;
    state.status = 'connected';
    state.everConnected = true;
    state.connectError = '';
    state.user = frame?.headers?.['user-name'] || state.name;
    store.set(KEYS.auto, '1');
    if (state.user !== state.name) {
      state.name = state.user;
      store.set(KEYS.name, state.user);
    }
    c.subscribe('/user/queue/errors', onError);
    c.subscribe('/topic/rooms', (f) => {
      const r = parseJSON(f.body);
      knowRoom(r);
      if (r && r.name === pendingCreate) {
        pendingCreate = '';
        if (createTimer) clearTimer(createTimer);
        createTimer = null;
        join(r.name);
      }
    });
    refreshRooms();
    handles.clear();
    if (!restored) restoreRooms();
    // restoreRooms joined (and so subscribed) them already the first time.
    for (const room of state.joined) if (!handles.has(room)) subscribeRoom(room);
    for (const room of state.joined) for (const p of view(room).pending) publishLine(room, p);
    if (roomsTimer) clearTimer(roomsTimer);
    const tick = () => {
      roomsTimer = setTimer(() => {
        if (client !== c || !state.wanted) return;
        refreshRooms();
        tick();
      }, ROOMS_REFRESH_EVERY);
    };
    tick();
  }

  function onStompError(c, frame) {
    if (client !== c) return;
    const message = frame?.headers?.message ?? '';
    const body = frame?.body ?? '';
    if (state.status !== 'connected' && /access denied/i.test(message)) {
      // The server refused the name: stop retrying and let the user pick.
      state.connectError = body.trim() || message;
      store.set(KEYS.auto, '');
      stop();
      return;
    }
    toast({ kind: 'error', code: 'server', text: [message, body].filter(Boolean).join(': ') });
  }

  function onClose(c) {
    if (client !== c) return;
    handles.clear();
    state.status = state.wanted ? 'connecting' : 'disconnected';
  }

  function stop() {
    const c = client;
    client = null;
    state.wanted = false;
    state.status = 'disconnected';
    if (roomsTimer) clearTimer(roomsTimer);
    roomsTimer = null;
    if (c) c.deactivate();
  }

  // connect checks the name and starts connecting, retrying with backoff
  // until disconnect() or a refusal. It returns '' or an i18n error key.
  function connect(raw) {
    const bad = validateName(raw);
    if (bad) return bad;
    const name = String(raw).trim();
    if (client) stop();
    if (state.user && state.user !== name) resetRooms();
    state.name = name;
    store.set(KEYS.name, name);
    state.connectError = '';
    state.wanted = true;
    state.everConnected = false;
    state.status = 'connecting';
    const c = transport({
      brokerURL: url,
      connectHeaders: { login: name, passcode: browserSecret(store, opts.crypto) },
      heartbeatIncoming: 10000,
      heartbeatOutgoing: 10000,
      reconnectDelay: 1000,
      maxReconnectDelay: 15000,
      debug,
      onConnect: (frame) => onConnect(c, frame),
      onStompError: (frame) => onStompError(c, frame),
      onWebSocketClose: () => onClose(c),
    });
    client = c;
    c.activate();
    return '';
  }

  // resume reconnects a page that was connected when it was last left
  // (a reload, a new tab): the name and secret are remembered.
  function resume() {
    if (store.get(KEYS.auto) === '1' && state.name && !client) connect(state.name);
  }

  // Lines seen under one name are not shown under another.
  function resetRooms() {
    for (const room of Object.keys(state.views)) {
      state.views[room] = newView();
      seen.set(room, new Set());
      synced.delete(room);
    }
    greeted.clear();
    handles.clear();
  }

  function disconnect() {
    store.set(KEYS.auto, '');
    stop();
    state.everConnected = false;
  }

  // transcript is the room's chat and system lines in order: chat lines by
  // id, each system line after the chat line that was last when it came.
  function transcript(room = state.current) {
    const v = view(room);
    if (!v) return [];
    const sys = [...v.system].sort((a, b) => {
      if (a.after == null || b.after == null) {
        return a.after == null && b.after == null ? a.seq - b.seq : a.after == null ? -1 : 1;
      }
      return compareIds(a.after, b.after) || a.seq - b.seq;
    });
    const out = [];
    let j = 0;
    while (j < sys.length && sys[j].after == null) out.push(sys[j++]);
    for (const m of v.lines) {
      while (j < sys.length && compareIds(sys[j].after, m.id) < 0) out.push(sys[j++]);
      out.push(m);
    }
    while (j < sys.length) out.push(sys[j++]);
    return out;
  }

  function typingNames(room = state.current) {
    const v = view(room);
    if (!v) return [];
    const t = now();
    return Object.entries(v.typing)
      .filter(([, until]) => until > t)
      .map(([name]) => name);
  }

  return {
    state,
    connect,
    resume,
    disconnect,
    join,
    leave,
    viewRoom,
    createRoom,
    send,
    typing,
    loadOlder,
    refreshRooms,
    dismissToast,
    transcript,
    typingNames,
  };
}
