// Chat lines: ordering by message id and merging without duplicates.
// Shared by the chat app and the live view, so it imports nothing.

const digits = /^\d+$/;

// compareIds orders two message ids. Ids are whatever the server stamps:
// numbers, decimal strings (compared as numbers of any length) or other
// strings (compared as strings).
export function compareIds(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  if (digits.test(x) && digits.test(y)) {
    const p = x.replace(/^0+(?=\d)/, '');
    const q = y.replace(/^0+(?=\d)/, '');
    if (p.length !== q.length) return p.length - q.length;
    return p < q ? -1 : p > q ? 1 : 0;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

// isChatLine says whether a parsed body looks like a chat line
// {"id","room","name","content","ts"}: anything else is dropped.
export function isChatLine(m) {
  return (
    m != null &&
    typeof m === 'object' &&
    (typeof m.id === 'number' || (typeof m.id === 'string' && m.id !== '')) &&
    typeof m.name === 'string' &&
    typeof m.content === 'string'
  );
}

// mergeLines adds incoming chat lines to a list kept sorted by id, in place,
// skipping ids already there. It returns the lines that were new, in id
// order. Appending newer lines, the common case, costs no sort.
export function mergeLines(list, incoming, seen = new Set(list.map((m) => String(m.id)))) {
  const added = [];
  for (const m of incoming) {
    if (!isChatLine(m)) continue;
    const key = String(m.id);
    if (seen.has(key)) continue;
    seen.add(key);
    added.push(m);
  }
  if (added.length === 0) return added;
  added.sort((a, b) => compareIds(a.id, b.id));
  const last = list.length ? list[list.length - 1] : null;
  list.push(...added);
  if (last && compareIds(added[0].id, last.id) < 0) {
    list.sort((a, b) => compareIds(a.id, b.id));
  }
  return added;
}

// parseJSON returns the parsed body, or undefined for one that is not JSON.
export function parseJSON(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
