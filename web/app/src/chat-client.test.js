import { describe, expect, it, vi } from 'vitest';
import { brokerURL, CATCHUP_PAGE, HISTORY_PAGE, KEEP_LINES, TYPING_SHOW_FOR } from './chat-client.js';
import { connectAs, line, setup } from './test/setup.js';

describe('connect', () => {
  it('sends the trimmed name and a passcode made once, then remembers the name', () => {
    const t = setup();
    expect(t.client.connect('  홍길동  ')).toBe('');
    const s = t.transport.last();
    expect(s.active).toBe(true);
    expect(s.config.brokerURL).toBe('ws://test/chat-app');
    expect(s.config.connectHeaders).toEqual({ login: '홍길동', passcode: 'ab'.repeat(32) });
    expect(s.config.heartbeatIncoming).toBe(10000);
    expect(s.config.heartbeatOutgoing).toBe(10000);
    expect(t.backend.map.get('stompbox.name')).toBe('홍길동');
    expect(t.backend.map.get('stompbox.secret')).toBe('ab'.repeat(32));
    expect(t.client.state.status).toBe('connecting');
  });

  it('keeps an existing secret', () => {
    const t = setup({ storage: { 'stompbox.secret': 'cd'.repeat(32) } });
    t.client.connect('a');
    expect(t.transport.last().config.connectHeaders.passcode).toBe('cd'.repeat(32));
  });

  it('refuses a bad name without connecting', () => {
    const t = setup();
    expect(t.client.connect('   ')).toBe('error.nameEmpty');
    expect(t.client.connect('x'.repeat(33))).toBe('error.nameLong');
    expect(t.client.connect('a\u0007b')).toBe('error.nameControl');
    expect(t.transport.made).toHaveLength(0);
  });

  it('a reload reconnects only a page that was connected and not left', () => {
    const fresh = setup({ storage: { 'stompbox.name': '홍길동' } });
    fresh.client.resume();
    expect(fresh.transport.made).toHaveLength(0); // never connected: the form waits

    const t = setup();
    t.client.connect('홍길동');
    t.transport.last().open('홍길동');
    expect(t.backend.map.get('stompbox.auto')).toBe('1');
    const again = setup({ storage: Object.fromEntries(t.backend.map) });
    again.client.resume();
    expect(again.transport.last().config.connectHeaders.login).toBe('홍길동');

    t.client.disconnect(); // leaving on purpose: the next page shows the form
    expect(t.backend.map.get('stompbox.auto')).toBe('');
    const left = setup({ storage: Object.fromEntries(t.backend.map) });
    left.client.resume();
    expect(left.transport.made).toHaveLength(0);

    const refused = setup({ storage: { 'stompbox.name': '홍길동', 'stompbox.auto': '1' } });
    refused.client.resume();
    refused.transport.last().refuse('claimed by someone else');
    expect(refused.backend.map.get('stompbox.auto')).toBe('');
  });

  it('builds the endpoint from the page location', () => {
    expect(brokerURL({ protocol: 'https:', host: 'chat.example:8443' })).toBe('wss://chat.example:8443/chat-app');
    expect(brokerURL({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/chat-app');
  });

  it('takes the accepted name from CONNECTED user-name', () => {
    const t = setup();
    t.client.connect('홍길동');
    t.transport.last().open('홍길동2');
    expect(t.client.state.user).toBe('홍길동2');
    expect(t.client.state.status).toBe('connected');
  });

  it('on a refused name shows the reason, stops retrying and is disconnected', () => {
    const t = setup();
    t.client.connect('홍길동');
    const s = t.transport.last();
    s.refuse('not allowed to connect: the name "홍길동" is claimed by someone else');
    expect(t.client.state.connectError).toBe('not allowed to connect: the name "홍길동" is claimed by someone else');
    expect(s.active).toBe(false);
    expect(t.client.state.status).toBe('disconnected');
    expect(t.client.state.wanted).toBe(false);
    // Another name may be tried at once.
    expect(t.client.connect('임꺽정')).toBe('');
    expect(t.client.state.connectError).toBe('');
    expect(t.transport.made).toHaveLength(2);
  });
});

describe('after CONNECTED', () => {
  it('subscribes to errors and rooms, asks the room list once and unsubscribes it', () => {
    const t = setup();
    t.client.connect('홍길동');
    const s = t.transport.last();
    s.open('홍길동');
    expect(s.live('/user/queue/errors')).toHaveLength(1);
    expect(s.live('/topic/rooms')).toHaveLength(1);
    const ask = s.reply('/app/rooms', [{ name: 'lobby', members: 3, lastActivity: 5 }, { name: '개발', members: 1, lastActivity: 9 }]);
    expect(ask.unsubscribed).toBe(true);
    expect(t.client.state.rooms['개발']).toEqual({ name: '개발', members: 1, lastActivity: 9 });
  });

  it('joins lobby the first time, topic subscriptions before the history question', () => {
    const t = setup();
    t.client.connect('홍길동');
    const s = t.transport.last();
    s.open('홍길동');
    const order = s.subs.map((x) => x.destination);
    expect(order.indexOf('/topic/rooms.lobby')).toBeGreaterThan(-1);
    expect(order.indexOf('/topic/rooms.lobby')).toBeLessThan(order.indexOf('/app/rooms/lobby/history'));
    expect(order).toContain('/topic/rooms.lobby.members');
    expect(order).toContain('/topic/rooms.lobby.typing');
    expect(s.live('/app/rooms/lobby/history')[0].headers).toEqual({});
    expect(t.client.state.current).toBe('lobby');
    expect(JSON.parse(t.backend.map.get('stompbox.rooms'))).toEqual(['lobby']);
  });

  it('rejoins the rooms kept in storage and views the one kept', () => {
    const t = setup({ storage: { 'stompbox.rooms': '["lobby","개발"]', 'stompbox.room': '개발' } });
    const s = connectAs(t);
    expect(t.client.state.joined).toEqual(['lobby', '개발']);
    expect(t.client.state.current).toBe('개발');
    expect(s.live('/topic/rooms.개발')).toHaveLength(1);
  });

  it('does not join lobby again when the user left every room', () => {
    const t = setup({ storage: { 'stompbox.rooms': '[]' } });
    const s = connectAs(t);
    expect(t.client.state.joined).toEqual([]);
    expect(s.live('/topic/rooms.lobby')).toHaveLength(0);
  });

  it('unsubscribes every /app question as soon as it is answered', () => {
    const t = setup();
    const s = connectAs(t);
    const asks = s.subs.filter((x) => x.destination.startsWith('/app/'));
    expect(asks.length).toBe(3);
    expect(asks.every((x) => x.unsubscribed)).toBe(true);
  });
});

describe('lines', () => {
  it('merges history and live lines by id without duplicates', () => {
    const t = setup();
    t.client.connect('홍길동');
    const s = t.transport.last();
    s.open('홍길동');
    // Live lines arrive before the history answer, overlapping it.
    s.deliver('/topic/rooms.lobby', line(12, '임꺽정', 'c'));
    s.deliver('/topic/rooms.lobby', line(11, '임꺽정', 'b'));
    s.reply('/app/rooms/lobby/history', [line(10, 'a', 'a'), line(11, '임꺽정', 'b'), line(12, '임꺽정', 'c')]);
    s.deliver('/topic/rooms.lobby', line(12, '임꺽정', 'c'));
    s.deliver('/topic/rooms.lobby', line(13, '임꺽정', 'd'));
    expect(t.client.state.views.lobby.lines.map((m) => m.id)).toEqual([10, 11, 12, 13]);
  });

  it('ignores bodies that are not chat lines', () => {
    const t = setup();
    const s = connectAs(t);
    s.deliver('/topic/rooms.lobby', 'not json');
    s.deliver('/topic/rooms.lobby', { name: 'x' });
    expect(t.client.state.views.lobby.lines).toHaveLength(0);
  });

  it('loads older pages with before = the oldest id and stops at the room\'s first line', async () => {
    const t = setup();
    const full = Array.from({ length: HISTORY_PAGE }, (_, i) => line(100 + i, 'a', 'x' + i));
    const s = connectAs(t, '홍길동', { history: { lobby: full } });
    const v = t.client.state.views.lobby;
    expect(v.hasOlder).toBe(true);
    const done = t.client.loadOlder();
    const ask = s.live('/app/rooms/lobby/history')[0];
    expect(ask.headers).toEqual({ before: '100', limit: String(HISTORY_PAGE) });
    s.reply('/app/rooms/lobby/history', [line(98, 'a', 'p'), line(99, 'a', 'q')]);
    expect(await done).toBe(2);
    expect(ask.unsubscribed).toBe(true);
    expect(v.lines[0].id).toBe(98);
    expect(v.hasOlder).toBe(true, 'a short page of long lines does not mean the start');
    const more = t.client.loadOlder();
    s.reply('/app/rooms/lobby/history', [line(1, 'a', 'first'), line(97, 'a', 'r')]);
    expect(await more).toBe(2);
    expect(v.hasOlder).toBe(false);
    expect(v.unread).toBe(0);
  });
});

describe('reconnect', () => {
  it('catches up from the last id with every line below it, not the last shown', () => {
    const t = setup();
    const s = connectAs(t, '홍길동', { history: { lobby: [line(40, 'a', 'x'), line(41, 'a', 'y')] } });
    s.deliver('/topic/rooms.lobby', line(43, 'b', 'stored after 42, broadcast first'));
    s.drop(); // 42 never arrived
    s.open('홍길동');
    expect(s.live('/app/rooms/lobby/history')[0].headers.after).toBe('41');
    s.reply('/app/rooms/lobby/members', []);
    s.reply('/app/rooms/lobby/history', [line(42, 'c', 'missed'), line(43, 'b', 'again')]);
    expect(t.client.state.views.lobby.lines.map((m) => m.id)).toEqual([40, 41, 42, 43]);
    expect(s.live('/app/rooms/lobby/history')[0].headers.after).toBe('43');
  });

  it('resubscribes and asks history after the last id seen, with no repeated greeting', () => {
    const t = setup();
    const s = connectAs(t, '홍길동', { history: { lobby: [line(5, 'a', 'x'), line(7, 'b', 'y')] } });
    s.deliver('/topic/rooms.lobby.members', { type: 'join', name: '홍길동' });
    s.deliver('/topic/rooms.lobby', line(8, 'b', 'z'));
    s.drop();
    expect(t.client.state.status).toBe('connecting');
    s.open('홍길동');
    expect(t.client.state.status).toBe('connected');
    expect(s.live('/topic/rooms.lobby')).toHaveLength(1);
    const ask = s.live('/app/rooms/lobby/history')[0];
    expect(ask.headers).toEqual({ after: '8', limit: String(CATCHUP_PAGE) });
    s.reply('/app/rooms/lobby/members', [{ name: '홍길동' }]);
    s.reply('/app/rooms/lobby/history', [line(8, 'b', 'z'), line(9, 'b', 'missed')]);
    s.deliver('/topic/rooms.lobby.members', { type: 'join', name: '홍길동' });
    const v = t.client.state.views.lobby;
    expect(v.lines.map((m) => m.id)).toEqual([5, 7, 8, 9]);
    expect(v.system.filter((x) => x.name === '홍길동')).toHaveLength(1);
    // No CONNECT-time hello of any kind is published.
    expect(s.published).toHaveLength(0);
  });

  it('pages the catch-up until an empty page comes back', () => {
    const t = setup();
    const s = connectAs(t, '홍길동', { history: { lobby: [line(1, 'a', 'x')] } });
    s.drop();
    s.open('홍길동');
    const page = Array.from({ length: CATCHUP_PAGE }, (_, i) => line(2 + i, 'a', 'm'));
    s.reply('/app/rooms/lobby/history', page);
    const next = s.live('/app/rooms/lobby/history');
    expect(next).toHaveLength(1);
    expect(next[0].headers.after).toBe(String(1 + CATCHUP_PAGE));
    s.reply('/app/rooms/lobby/history', [line(500, 'a', 'last')]);
    expect(s.live('/app/rooms/lobby/history')[0].headers.after).toBe('500');
    s.reply('/app/rooms/lobby/history', []);
    expect(s.live('/app/rooms/lobby/history')).toHaveLength(0);
    expect(t.client.state.views.lobby.lines).toHaveLength(CATCHUP_PAGE + 2);
  });

  it('sends a line queued while away once, again with the same client-id after a drop', () => {
    const t = setup();
    const s = connectAs(t);
    expect(t.client.send('안녕하세요')).toBe('');
    const first = s.sent('/app/rooms/lobby/chat');
    expect(first).toHaveLength(1);
    expect(first[0].json).toEqual({ content: '안녕하세요' });
    expect(first[0].headers['client-id']).toBe('cid-1');
    expect(first[0].headers['content-type']).toBe('application/json');
    s.drop();
    s.open('홍길동');
    const all = s.sent('/app/rooms/lobby/chat');
    expect(all).toHaveLength(2);
    expect(all[1].headers['client-id']).toBe('cid-1');
    s.deliver('/topic/rooms.lobby', line(1, '홍길동', '안녕하세요'));
    expect(t.client.state.views.lobby.pending).toHaveLength(0);
    s.drop();
    s.open('홍길동');
    expect(s.sent('/app/rooms/lobby/chat')).toHaveLength(2);
  });
});

describe('rooms', () => {
  it('counts unread lines for rooms not in view and resets them on view', () => {
    const t = setup({ storage: { 'stompbox.rooms': '["lobby","개발"]', 'stompbox.room': 'lobby' } });
    const s = connectAs(t);
    s.deliver('/topic/rooms.개발', line(1, '임꺽정', 'a', { room: '개발' }));
    s.deliver('/topic/rooms.개발', line(2, '임꺽정', 'b', { room: '개발' }));
    s.deliver('/topic/rooms.개발', line(2, '임꺽정', 'b', { room: '개발' }));
    s.deliver('/topic/rooms.lobby', line(3, '임꺽정', 'c'));
    s.deliver('/topic/rooms.개발', line(4, '홍길동', 'mine', { room: '개발' }));
    expect(t.client.state.views['개발'].unread).toBe(2);
    expect(t.client.state.views.lobby.unread).toBe(0);
    t.client.viewRoom('개발');
    expect(t.client.state.views['개발'].unread).toBe(0);
    expect(t.backend.map.get('stompbox.room')).toBe('개발');
  });

  it('toasts and notifies a mention in a room not in view, not one in view', () => {
    const t = setup({ storage: { 'stompbox.rooms': '["lobby","개발"]', 'stompbox.room': 'lobby' } });
    const s = connectAs(t);
    s.deliver('/topic/rooms.lobby', line(1, '임꺽정', '@홍길동 here'));
    expect(t.client.state.toasts).toHaveLength(0);
    expect(t.notes).toHaveLength(0);
    s.deliver('/topic/rooms.개발', line(2, '임꺽정', '@홍길동님 봐 주세요', { room: '개발' }));
    expect(t.client.state.toasts).toHaveLength(1);
    expect(t.client.state.toasts[0]).toMatchObject({ kind: 'mention', room: '개발', name: '임꺽정' });
    expect(t.notes).toHaveLength(1);
    expect(t.client.state.views['개발'].mentioned).toBe(true);
    t.client.viewRoom('개발');
    expect(t.client.state.toasts).toHaveLength(0);
    // A mention in view while the page is hidden notifies without a toast.
    t.env.hidden = true;
    s.deliver('/topic/rooms.개발', line(3, '임꺽정', 'hey @홍길동', { room: '개발' }));
    expect(t.notes).toHaveLength(2);
    expect(t.client.state.toasts).toHaveLength(0);
  });

  it('creates a room, joins it when announced, and leaves it', () => {
    const t = setup();
    const s = connectAs(t);
    expect(t.client.createRoom('bad room!')).toBe('error.roomBad');
    expect(t.client.createRoom('개발')).toBe('');
    expect(s.sent('/app/rooms')[0].json).toEqual({ name: '개발' });
    expect(t.client.state.joined).toEqual(['lobby']);
    s.deliver('/topic/rooms', { name: '개발', members: 0, lastActivity: 1 });
    expect(t.client.state.joined).toEqual(['lobby', '개발']);
    expect(t.client.state.current).toBe('개발');
    const topics = ['/topic/rooms.개발', '/topic/rooms.개발.members', '/topic/rooms.개발.typing'];
    const subs = topics.map((d) => s.live(d)[0]);
    t.client.leave('개발');
    expect(subs.every((x) => x.unsubscribed)).toBe(true);
    expect(JSON.parse(t.backend.map.get('stompbox.rooms'))).toEqual(['lobby']);
    expect(t.client.state.current).toBe('lobby');
  });

  it('keeps the member list from answers and join/leave events', () => {
    const t = setup();
    const s = connectAs(t, '홍길동', { members: { lobby: [{ name: '홍길동' }, { name: '임꺽정' }] } });
    expect(t.client.state.views.lobby.members).toEqual(['홍길동', '임꺽정']);
    s.deliver('/topic/rooms.lobby.members', { type: 'join', name: '장길산' });
    s.deliver('/topic/rooms.lobby.members', { type: 'leave', name: '임꺽정' });
    expect(t.client.state.views.lobby.members).toEqual(['홍길동', '장길산']);
    expect(t.client.transcript().map((x) => `${x.type}:${x.name}`)).toEqual(['join:장길산', 'leave:임꺽정']);
  });

  it('shows server errors and drops the line they refused', () => {
    const t = setup();
    const s = connectAs(t);
    t.client.send('x');
    s.deliver('/user/queue/errors', { destination: '/app/rooms/lobby/chat', code: 'rate-limited', message: 'slow down' });
    expect(t.client.state.views.lobby.pending).toHaveLength(0);
    expect(t.client.state.toasts[0]).toMatchObject({ kind: 'error', code: 'rate-limited' });
  });
});

describe('typing', () => {
  it('sends at most once every 2 s and shows others for 3 s', () => {
    vi.useFakeTimers();
    try {
      const t = setup({ now: () => Date.now() });
      const s = connectAs(t);
      t.client.typing();
      t.client.typing();
      expect(s.sent('/app/rooms/lobby/typing')).toHaveLength(1);
      vi.advanceTimersByTime(2000);
      t.client.typing();
      expect(s.sent('/app/rooms/lobby/typing')).toHaveLength(2);

      s.deliver('/topic/rooms.lobby.typing', { name: '홍길동' });
      expect(t.client.typingNames()).toEqual([]);
      s.deliver('/topic/rooms.lobby.typing', { name: '임꺽정' });
      expect(t.client.typingNames()).toEqual(['임꺽정']);
      vi.advanceTimersByTime(TYPING_SHOW_FOR - 1);
      expect(t.client.typingNames()).toEqual(['임꺽정']);
      vi.advanceTimersByTime(1);
      expect(t.client.typingNames()).toEqual([]);
      // A line from someone ends their typing at once.
      s.deliver('/topic/rooms.lobby.typing', { name: '임꺽정' });
      s.deliver('/topic/rooms.lobby', line(1, '임꺽정', 'done'));
      expect(t.client.typingNames()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('memory', () => {
  it('keeps at most KEEP_LINES lines a room, dropping the oldest, which load older brings back', () => {
    const t = setup();
    const s = connectAs(t, '홍길동', { history: { lobby: [line(1, 'a', 'first')] } });
    for (let id = 2; id <= KEEP_LINES + 10; id++) s.deliver('/topic/rooms.lobby', line(id, 'a', `m${id}`));
    const v = t.client.state.views.lobby;
    expect(v.lines).toHaveLength(KEEP_LINES);
    expect(v.lines[0].id).toBe(11);
    expect(v.lines[v.lines.length - 1].id).toBe(KEEP_LINES + 10);
    expect(v.hasOlder).toBe(true);
    t.client.loadOlder();
    expect(s.live('/app/rooms/lobby/history')[0].headers.before).toBe('11');
  });
});
