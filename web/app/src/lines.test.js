import { describe, expect, it } from 'vitest';
import { compareIds, mergeLines } from './lines.js';

describe('compareIds', () => {
  it('orders decimal strings as numbers and numbers as numbers', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('100', '99')).toBeGreaterThan(0);
    expect(compareIds('18446744073709551615', '18446744073709551614')).toBeGreaterThan(0);
    expect(compareIds(2, 10)).toBeLessThan(0);
    expect(compareIds('007', '7')).toBe(0);
    expect(compareIds('b', 'a')).toBeGreaterThan(0);
  });
});

describe('mergeLines', () => {
  const m = (id) => ({ id, name: 'a', content: String(id), ts: 0 });

  it('keeps lines sorted by id and drops ids seen before', () => {
    const list = [];
    expect(mergeLines(list, [m('11'), m('12')]).map((x) => x.id)).toEqual(['11', '12']);
    expect(mergeLines(list, [m('9'), m('10'), m('11'), m('12'), m('13')]).map((x) => x.id)).toEqual(['9', '10', '13']);
    expect(list.map((x) => x.id)).toEqual(['9', '10', '11', '12', '13']);
    expect(mergeLines(list, [m('13')])).toEqual([]);
  });

  it('skips what is not a chat line', () => {
    const list = [];
    mergeLines(list, [null, { id: 1 }, { name: 'a', content: 'b' }, m(2)]);
    expect(list.map((x) => x.id)).toEqual([2]);
  });
});
