// The browser storage the app keeps its settings in. Every key is under
// "stompbox."; a storage that throws (private mode, quota) is treated as
// empty so the app still runs.

export const KEYS = {
  name: 'stompbox.name',
  secret: 'stompbox.secret',
  rooms: 'stompbox.rooms',
  room: 'stompbox.room',
  lang: 'stompbox.lang',
  auto: 'stompbox.auto', // '1' while the user wants to be connected: a reload reconnects
};

export function createStore(backend = globalThis.localStorage) {
  const memory = new Map();
  const get = (key) => {
    try {
      return backend ? backend.getItem(key) : (memory.get(key) ?? null);
    } catch {
      return memory.get(key) ?? null;
    }
  };
  const set = (key, value) => {
    memory.set(key, value);
    try {
      backend?.setItem(key, value);
    } catch {
      // Kept in memory for this page only.
    }
  };
  return {
    get,
    set,
    getJSON(key) {
      const raw = get(key);
      if (raw == null) return undefined;
      try {
        return JSON.parse(raw);
      } catch {
        return undefined;
      }
    },
    setJSON(key, value) {
      set(key, JSON.stringify(value));
    },
  };
}

// randomHex returns n random bytes from the platform's CSPRNG as hex.
export function randomHex(n, crypto = globalThis.crypto) {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// secret returns this browser's passcode, made once: 32 random bytes as hex.
// With it the server knows that a name is being used again by the browser
// that claimed it.
export function secret(store, crypto = globalThis.crypto) {
  let s = store.get(KEYS.secret);
  if (!s || !/^[0-9a-f]{64}$/.test(s)) {
    s = randomHex(32, crypto);
    store.set(KEYS.secret, s);
  }
  return s;
}
