// Input rules, the same the server applies, checked before anything is sent
// so that the user learns at once what is wrong. Each returns '' when the
// value is fine, or the i18n key of the problem.

const control = /[\u0000-\u001f\u007f-\u009f]/u;
const roomName = /^[\p{L}\p{N}_-]{1,40}$/u;

export const NAME_MAX = 32;
export const ROOM_MAX = 40;
export const CONTENT_MAX = 4000;

// validateName checks a user name as the server will see it: trimmed,
// 1 to 32 characters, no control characters.
export function validateName(raw) {
  const name = String(raw ?? '').trim();
  if (name === '') return 'error.nameEmpty';
  if ([...name].length > NAME_MAX) return 'error.nameLong';
  if (control.test(name)) return 'error.nameControl';
  return '';
}

// validateRoom checks a room name: 1 to 40 letters of any script, digits,
// '-' and '_'.
export function validateRoom(raw) {
  const name = String(raw ?? '');
  if (name.trim() === '') return 'error.roomEmpty';
  if (!roomName.test(name)) return 'error.roomBad';
  return '';
}

// validateContent checks a chat line: not blank, at most 4000 characters.
export function validateContent(raw) {
  const text = String(raw ?? '');
  if (text.trim() === '') return 'error.blank';
  if ([...text].length > CONTENT_MAX) return 'error.tooLong';
  return '';
}
