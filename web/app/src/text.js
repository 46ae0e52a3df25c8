// Text helpers for chat lines: mentions, times and name colours. Every
// function here returns plain data; the components render it with mustache
// interpolation, so message text is never parsed as HTML.

// A character that can belong to a name: letters and digits of any script,
// marks (Hangul jamo compose with them), '-', '_' and '.'.
const nameChar = /[\p{L}\p{M}\p{N}_\-.]/u;

// mentionSegments splits content into [{text, mention}] pieces, marking each
// "@name" whose name is exactly `name` (case-insensitively) and not followed
// by another name character (except the honorific 님). Without a name,
// the content is one piece.
export function mentionSegments(content, name) {
  if (!name) return [{ text: content, mention: false }];
  const needle = '@' + name.toLowerCase();
  const hay = content.toLowerCase();
  const out = [];
  let from = 0;
  let at = hay.indexOf(needle);
  while (at !== -1) {
    const end = at + needle.length;
    const before = at > 0 ? content[at - 1] : '';
    const after = content.slice(end, end + 2);
    const boundaryBefore = before === '' || !nameChar.test(before);
    const next = [...after][0] ?? '';
    // "@홍길동님" is the polite way to address someone, so 님 may follow.
    const boundaryAfter = next === '' || next === '님' || !nameChar.test(next);
    if (boundaryBefore && boundaryAfter) {
      if (at > from) out.push({ text: content.slice(from, at), mention: false });
      out.push({ text: content.slice(at, end), mention: true });
      from = end;
    }
    at = hay.indexOf(needle, end);
  }
  if (from < content.length || out.length === 0) {
    out.push({ text: content.slice(from), mention: false });
  }
  return out;
}

// mentions says whether content mentions name.
export function mentions(content, name) {
  return mentionSegments(content, name).some((s) => s.mention);
}

function pad(n) {
  return String(n).padStart(2, '0');
}

// clock formats a time in ms since the epoch as local HH:MM.
export function clock(ts) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// fullTime formats a time for a tooltip, in the page's language.
export function fullTime(ts, lang) {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(lang === 'en' ? 'en-GB' : 'ko-KR');
}

// hue picks one of 12 colour classes for a name, the same on every page.
export function hue(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 12;
}

// initial is the first character of a name, for its avatar.
export function initial(name) {
  const first = [...name.trim()][0];
  return first ? first.toUpperCase() : '?';
}

// iso formats a time for a <time datetime>, or '' for a bad one.
export function iso(ts) {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}
