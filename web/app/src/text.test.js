import { describe, expect, it } from 'vitest';
import { clock, mentionSegments, mentions } from './text.js';
import { validateContent, validateName, validateRoom } from './validate.js';

describe('mentions', () => {
  it('marks @name of the user only, as a whole name', () => {
    expect(mentionSegments('hi @홍길동 and @홍길동동', '홍길동')).toEqual([
      { text: 'hi ', mention: false },
      { text: '@홍길동', mention: true },
      { text: ' and @홍길동동', mention: false },
    ]);
    expect(mentions('@홍길동님 확인 부탁해요', '홍길동')).toBe(true);
    expect(mentions('@홍길 hi', '홍길동')).toBe(false);
    expect(mentions('mail a@bob.com', 'bob')).toBe(false);
    expect(mentions('@Bob, look', 'bob')).toBe(true);
    expect(mentions('no mention', '')).toBe(false);
  });
});

describe('validation', () => {
  it('checks names as the server does', () => {
    expect(validateName('홍길동')).toBe('');
    expect(validateName('  a  ')).toBe('');
    expect(validateName('')).toBe('error.nameEmpty');
    expect(validateName('가'.repeat(32))).toBe('');
    expect(validateName('가'.repeat(33))).toBe('error.nameLong');
    expect(validateName('a\nb')).toBe('error.nameControl');
  });

  it('checks room names: letters of any script, digits, - and _', () => {
    expect(validateRoom('개발-팀_2')).toBe('');
    expect(validateRoom('lobby')).toBe('');
    expect(validateRoom('a b')).toBe('error.roomBad');
    expect(validateRoom('a.b')).toBe('error.roomBad');
    expect(validateRoom('x'.repeat(41))).toBe('error.roomBad');
    expect(validateRoom('')).toBe('error.roomEmpty');
  });

  it('checks chat lines', () => {
    expect(validateContent(' \n ')).toBe('error.blank');
    expect(validateContent('x'.repeat(4001))).toBe('error.tooLong');
    expect(validateContent('x'.repeat(4000))).toBe('');
  });

  it('formats clock times', () => {
    expect(clock(new Date(2026, 0, 2, 9, 5).getTime())).toBe('09:05');
    expect(clock('nope')).toBe('');
  });
});
