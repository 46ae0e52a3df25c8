// Component tests: the whole app on a fake transport.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { nextTick } from 'vue';
import App from './App.vue';
import { createI18n } from './i18n.js';
import { connectAs, line, setup } from './test/setup.js';

let wrapper;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.useRealTimers();
});

function mountApp(t) {
  const i18n = createI18n(t.store);
  wrapper = mount(App, { props: { client: t.client, i18n }, attachTo: document.body });
  return wrapper;
}

const $ = (w, id) => w.find(`[data-testid="${id}"]`);
const $$ = (w, id) => w.findAll(`[data-testid="${id}"]`);

describe('name form', () => {
  it('connects with the typed name and shows the state', async () => {
    const t = setup({ storage: { 'stompbox.name': '홍길동' } });
    const w = mountApp(t);
    expect($(w, 'name-input').element.value).toBe('홍길동');
    expect($(w, 'connection').attributes('data-state')).toBe('disconnected');
    await $(w, 'name-input').setValue('임꺽정');
    await $(w, 'connect').trigger('submit');
    expect($(w, 'connection').attributes('data-state')).toBe('connecting');
    t.transport.last().open('임꺽정');
    await nextTick();
    expect($(w, 'connection').attributes('data-state')).toBe('connected');
    expect($(w, 'message-input').exists()).toBe(true);
    expect($(w, 'name-input').exists()).toBe(false);
  });

  it('says what is wrong with a bad name and does not connect', async () => {
    const t = setup();
    const w = mountApp(t);
    await $(w, 'name-input').setValue('   ');
    await w.find('form').trigger('submit');
    expect(w.text()).toContain('이름을 입력하세요.');
    expect(t.transport.made).toHaveLength(0);
  });

  it('shows the server refusal and lets the user try another name', async () => {
    const t = setup();
    const w = mountApp(t);
    await $(w, 'name-input').setValue('홍길동');
    await w.find('form').trigger('submit');
    t.transport.last().refuse('not allowed to connect: the name "홍길동" is claimed by someone else');
    await nextTick();
    expect($(w, 'connect-error').text()).toContain('the name "홍길동" is claimed by someone else');
    expect($(w, 'connection').attributes('data-state')).toBe('disconnected');
    expect($(w, 'name-input').exists()).toBe(true);
  });
});

describe('transcript', () => {
  async function inLobby(history = [], opts = {}) {
    const t = setup(opts);
    const w = mountApp(t);
    const s = connectAs(t, '홍길동', { history: { lobby: history } });
    await nextTick();
    return { t, w, s };
  }

  it('renders message text as text: markup shows literally', async () => {
    const { w } = await inLobby([line(1, '임꺽정', '<img src=x onerror=alert(1)>')]);
    const msg = $(w, 'message');
    expect(msg.text()).toContain('<img src=x onerror=alert(1)>');
    expect(msg.text()).toContain('임꺽정');
    expect(w.find('.log img').exists()).toBe(false);
    expect(msg.attributes('data-id')).toBe('1');
    expect(msg.attributes('data-name')).toBe('임꺽정');
  });

  it('styles own lines apart', async () => {
    const { w } = await inLobby([line(1, '임꺽정', 'theirs'), line(2, '홍길동', 'mine')]);
    const [theirs, mine] = $$(w, 'message');
    expect(theirs.classes()).not.toContain('own');
    expect(mine.classes()).toContain('own');
  });

  it('highlights a mention of the user, not of others', async () => {
    const { w } = await inLobby([line(1, '임꺽정', '@홍길동 점심 어때요? @장길산 도')]);
    const marks = $(w, 'message').findAll('mark.mention');
    expect(marks.map((m) => m.text())).toEqual(['@홍길동']);
    expect($(w, 'message').classes()).toContain('mentions-me');
  });

  it('shows each id once, in order, when history and live lines overlap', async () => {
    const { w, s } = await inLobby([line(1, 'a', 'one'), line(2, 'a', 'two')]);
    s.deliver('/topic/rooms.lobby', line(2, 'a', 'two'));
    s.deliver('/topic/rooms.lobby', line(4, 'a', 'four'));
    s.deliver('/topic/rooms.lobby', line(3, 'a', 'three'));
    await nextTick();
    expect($$(w, 'message').map((m) => m.attributes('data-id'))).toEqual(['1', '2', '3', '4']);
  });

  it('puts join and leave lines in the transcript as system lines, and members in the list', async () => {
    const { w, s } = await inLobby();
    s.deliver('/topic/rooms.lobby.members', { type: 'join', name: '임꺽정' });
    await nextTick();
    expect($$(w, 'system-line').map((x) => x.text())).toEqual(['임꺽정님이 입장했습니다.']);
    expect($$(w, 'member').map((x) => x.attributes('data-name'))).toEqual(['홍길동', '임꺽정']);
    expect($$(w, 'message')).toHaveLength(0);
  });

  it('sends with Enter, not with Shift+Enter', async () => {
    const { w, s } = await inLobby();
    const box = $(w, 'message-input');
    await box.setValue('첫 줄');
    await box.trigger('keydown', { key: 'Enter', shiftKey: true });
    expect(s.sent('/app/rooms/lobby/chat')).toHaveLength(0);
    await box.trigger('keydown', { key: 'Enter' });
    expect(s.sent('/app/rooms/lobby/chat').map((p) => p.json.content)).toEqual(['첫 줄']);
    expect(box.element.value).toBe('');
  });

  it('asks for older lines from the load-older button', async () => {
    const page = Array.from({ length: 50 }, (_, i) => line(100 + i, 'a', 'x'));
    const { w, s } = await inLobby(page);
    await $(w, 'load-older').trigger('click');
    expect(s.live('/app/rooms/lobby/history')[0].headers).toEqual({ before: '100', limit: '50' });
    s.reply('/app/rooms/lobby/history', [line(1, 'a', 'first'), line(99, 'a', 'old')]);
    await nextTick();
    await nextTick();
    expect($$(w, 'message')[0].attributes('data-id')).toBe('1');
    expect($(w, 'load-older').exists()).toBe(false); // line 1 is the room's first
  });

  it('shows who is typing and hides it after 3 s', async () => {
    vi.useFakeTimers();
    const { w, s } = await inLobby([], { now: () => Date.now() });
    expect($(w, 'typing').exists()).toBe(false);
    s.deliver('/topic/rooms.lobby.typing', { name: '임꺽정' });
    await nextTick();
    expect($(w, 'typing').text()).toContain('임꺽정님이 입력 중…');
    vi.advanceTimersByTime(3000);
    await nextTick();
    expect($(w, 'typing').exists()).toBe(false);
  });
});

describe('rooms', () => {
  it('counts unread lines on rooms not in view, and clears them when viewed', async () => {
    const t = setup({ storage: { 'stompbox.rooms': '["lobby","개발"]', 'stompbox.room': 'lobby' } });
    const w = mountApp(t);
    const s = connectAs(t);
    s.deliver('/topic/rooms.개발', line(1, '임꺽정', 'a', { room: '개발' }));
    s.deliver('/topic/rooms.개발', line(2, '임꺽정', 'b', { room: '개발' }));
    s.deliver('/topic/rooms.lobby', line(3, '임꺽정', 'c'));
    await nextTick();
    const dev = w.find('[data-testid="room"][data-room="개발"]');
    const lobby = w.find('[data-testid="room"][data-room="lobby"]');
    expect(dev.text()).toContain('2');
    expect(lobby.find('.badge').exists()).toBe(false);
    await dev.trigger('click');
    expect(w.find('[data-testid="room"][data-room="개발"] .badge').exists()).toBe(false);
    expect($$(w, 'message').map((m) => m.text())).toEqual([expect.stringContaining('a'), expect.stringContaining('b')]);
  });

  it('toasts a mention from another room and opens it on click', async () => {
    const t = setup({ storage: { 'stompbox.rooms': '["lobby","개발"]', 'stompbox.room': 'lobby' } });
    const w = mountApp(t);
    const s = connectAs(t);
    s.deliver('/topic/rooms.개발', line(1, '임꺽정', '@홍길동 회의 시작해요', { room: '개발' }));
    await nextTick();
    expect($(w, 'toast').text()).toContain('회의 시작해요');
    await $(w, 'toast').find('button').trigger('click');
    expect(t.client.state.current).toBe('개발');
    expect($(w, 'toast').exists()).toBe(false);
  });

  it('validates a new room name before sending it', async () => {
    const t = setup();
    const w = mountApp(t);
    const s = connectAs(t);
    await nextTick();
    await $(w, 'room-create-input').setValue('no spaces');
    await $(w, 'room-create').trigger('click');
    expect(w.text()).toContain('방 이름은 40자까지의');
    expect(s.sent('/app/rooms')).toHaveLength(0);
    await $(w, 'room-create-input').setValue('개발');
    await $(w, 'room-create').trigger('click');
    expect(s.sent('/app/rooms').map((p) => p.json)).toEqual([{ name: '개발' }]);
  });

  it('leaves the room in view', async () => {
    const t = setup({ storage: { 'stompbox.rooms': '["lobby","개발"]', 'stompbox.room': '개발' } });
    const w = mountApp(t);
    connectAs(t);
    await nextTick();
    await $(w, 'leave-room').trigger('click');
    expect(w.findAll('[data-testid="room"][data-joined="true"]').map((r) => r.attributes('data-room'))).toEqual(['lobby']);
  });
});

describe('language', () => {
  it('is Korean by default and the switch changes the labels and is kept', async () => {
    const t = setup();
    const w = mountApp(t);
    expect($(w, 'connect').text()).toBe('연결');
    await $(w, 'lang-switch').trigger('click');
    expect($(w, 'connect').text()).toBe('Connect');
    expect(t.backend.map.get('stompbox.lang')).toBe('en');
    expect(document.documentElement.lang).toBe('en');
    await $(w, 'lang-switch').trigger('click');
    expect($(w, 'connect').text()).toBe('연결');
  });
});
