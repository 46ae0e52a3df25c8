// live-feed.js feeds the read-only live view of one room: the last lines
// over HTTP, then new ones over Server-Sent Events. It needs no STOMP.
//
//   GET /api/rooms/{room}/messages?limit=50   JSON array, oldest first
//   GET /events?destination=/topic/rooms.{room}
//       each event's data: {"destination","contentType","body"}, where body
//       is the chat line's JSON as a string
//
// EventSource reconnects by itself; each time it (re)opens, the last lines
// are fetched again, so what was said while it was away shows up, once.
import { reactive } from 'vue';
import { isChatLine, mergeLines, parseJSON } from './lines.js';

export const LIVE_LIMIT = 50;
export const LIVE_KEEP = 300;

// roomFromPath reads the room from /rooms/{room}/live (or ?room= when the
// page is opened some other way, as in development).
export function roomFromPath(loc = globalThis.location) {
  const m = /^\/rooms\/([^/]+)\/live\/?$/.exec(loc.pathname);
  if (m) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return '';
    }
  }
  return new URLSearchParams(loc.search).get('room') ?? '';
}

// lineFromEvent unwraps one SSE data payload into a chat line, or null.
export function lineFromEvent(data) {
  const outer = parseJSON(data);
  if (!outer || typeof outer !== 'object') return null;
  const inner = typeof outer.body === 'string' ? parseJSON(outer.body) : outer.body;
  return isChatLine(inner) ? inner : null;
}

export function createLiveFeed({
  room,
  fetch = globalThis.fetch?.bind(globalThis),
  EventSource = globalThis.EventSource,
}) {
  const state = reactive({ room, status: 'connecting', lines: [], error: '' });
  const seen = new Set();
  let es = null;

  function add(list) {
    const added = mergeLines(state.lines, list, seen);
    if (state.lines.length > LIVE_KEEP) {
      // The ids go with their lines, or the set would grow for ever.
      for (const m of state.lines.splice(0, state.lines.length - LIVE_KEEP)) seen.delete(String(m.id));
    }
    return added;
  }

  async function load() {
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/messages?limit=${LIVE_LIMIT}`);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const list = await res.json();
      if (Array.isArray(list)) add(list);
      state.error = '';
    } catch (err) {
      state.error = String(err?.message ?? err);
    }
  }

  async function start() {
    await load();
    es = new EventSource('/events?destination=' + encodeURIComponent('/topic/rooms.' + room));
    let opened = false;
    es.onopen = () => {
      state.status = 'connected';
      // The first open may follow the first load by a moment, and any
      // later one follows an outage: either way, fill the gap.
      if (opened) load();
      opened = true;
    };
    es.onerror = () => {
      state.status = es.readyState === 2 ? 'disconnected' : 'reconnecting';
    };
    es.onmessage = (e) => {
      const line = lineFromEvent(e.data);
      if (line) add([line]);
    };
  }

  function stop() {
    es?.close();
    es = null;
    state.status = 'disconnected';
  }

  return { state, start, stop, add };
}
