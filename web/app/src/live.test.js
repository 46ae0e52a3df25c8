import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { nextTick } from 'vue';
import LiveApp from './LiveApp.vue';
import { createLiveFeed, lineFromEvent, roomFromPath } from './live-feed.js';

class FakeEventSource {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    FakeEventSource.last = this;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  fail() {
    this.readyState = 0;
    this.onerror?.({});
  }
  send(line) {
    const data = JSON.stringify({ destination: '/topic/rooms.x', contentType: 'application/json', body: JSON.stringify(line) });
    this.onmessage?.({ data });
  }
  close() {
    this.readyState = 2;
  }
}

const m = (id, content = 'c' + id) => ({ id, room: '개발', name: '임꺽정', content, ts: 1767225600000 });
const flush = () => new Promise((r) => setTimeout(r, 0));

function fakeFetch(pages) {
  const urls = [];
  const fn = async (url) => {
    urls.push(url);
    const body = pages.shift() ?? [];
    return { ok: true, status: 200, json: async () => body };
  };
  fn.urls = urls;
  return fn;
}

describe('live view', () => {
  it('reads the room from /rooms/{room}/live', () => {
    expect(roomFromPath({ pathname: '/rooms/%EA%B0%9C%EB%B0%9C/live', search: '' })).toBe('개발');
    expect(roomFromPath({ pathname: '/live.html', search: '?room=lobby' })).toBe('lobby');
  });

  it('unwraps SSE data whose body is the line as a JSON string', () => {
    expect(lineFromEvent(JSON.stringify({ destination: 'd', body: JSON.stringify(m(3)) }))).toEqual(m(3));
    expect(lineFromEvent('garbage')).toBe(null);
  });

  it('loads the last 50, then streams, deduping by id and refilling after an outage', async () => {
    const fetch = fakeFetch([[m(1), m(2)], [m(2), m(3), m(4)]]);
    const feed = createLiveFeed({ room: '개발', fetch, EventSource: FakeEventSource });
    await feed.start();
    expect(fetch.urls[0]).toBe('/api/rooms/%EA%B0%9C%EB%B0%9C/messages?limit=50');
    const es = FakeEventSource.last;
    expect(es.url).toBe('/events?destination=' + encodeURIComponent('/topic/rooms.개발'));
    es.open();
    expect(feed.state.status).toBe('connected');
    es.send(m(2));
    es.send(m(3));
    es.fail();
    expect(feed.state.status).toBe('reconnecting');
    es.open();
    await flush();
    expect(fetch.urls).toHaveLength(2);
    expect(feed.state.lines.map((x) => x.id)).toEqual([1, 2, 3, 4]);
  });

  it('renders lines as text with the state indicator', async () => {
    const feed = createLiveFeed({ room: '개발', fetch: fakeFetch([]), EventSource: FakeEventSource });
    feed.add([m(1, '<img src=x onerror=alert(1)>'), m(2)]);
    feed.state.status = 'reconnecting';
    const w = mount(LiveApp, { props: { feed } });
    await nextTick();
    const lines = w.findAll('[data-testid="live-message"]');
    expect(lines).toHaveLength(2);
    expect(lines[0].text()).toContain('<img src=x onerror=alert(1)>');
    expect(w.find('img').exists()).toBe(false);
    expect(w.find('[data-testid="live-state"]').attributes('data-state')).toBe('reconnecting');
    expect(w.find('h1').text()).toContain('개발');
    w.unmount();
  });
});
