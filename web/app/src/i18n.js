// Two languages, Korean by default, the choice kept in stompbox.lang.
// t(key, params) looks a key up in the current language and fills {name}
// style placeholders; a missing key falls back to Korean, then to the key.
import { reactive } from 'vue';
import { KEYS } from './storage.js';

export const messages = {
  ko: {
    'app.title': 'stompbox 채팅',
    'app.tagline': '방을 골라 바로 이야기하세요.',
    'lang.switch': 'English',
    'lang.switchLabel': '영어로 보기',
    'state.connected': '연결됨',
    'state.connecting': '연결 중…',
    'state.reconnecting': '다시 연결하는 중…',
    'state.disconnected': '연결 끊김',
    'login.heading': '대화에 참여하기',
    'login.name': '이름',
    'login.placeholder': '예: 홍길동',
    'login.hint': '이름은 이 브라우저에 기억됩니다.',
    'login.connect': '연결',
    'login.connecting': '연결 중…',
    'login.refused': '서버가 이 이름을 받지 않았습니다.',
    'login.pickAnother': '다른 이름을 골라 주세요.',
    'login.lost': '서버에 연결할 수 없습니다. 잠시 후 다시 시도합니다.',
    'header.you': '{name}(으)로 접속 중',
    'header.disconnect': '나가기',
    'header.notify': '알림 켜기',
    'rooms.heading': '방',
    'rooms.joined': '참여 중인 방',
    'rooms.other': '다른 방',
    'rooms.none': '참여 중인 방이 없습니다. 방을 만들거나 골라 보세요.',
    'rooms.members': '{n}명',
    'rooms.unread': '읽지 않은 메시지 {n}개',
    'rooms.create': '만들기',
    'rooms.createLabel': '새 방 이름',
    'rooms.createPlaceholder': '새 방 이름',
    'rooms.toggle': '방 목록',
    'room.leave': '방 나가기',
    'room.members': '멤버',
    'room.membersCount': '멤버 {n}명',
    'room.membersToggle': '멤버 보기',
    'room.close': '닫기',
    'room.loadOlder': '이전 메시지 더 보기',
    'room.loading': '불러오는 중…',
    'room.start': '대화의 시작입니다.',
    'room.empty': '아직 메시지가 없습니다. 첫 인사를 건네 보세요!',
    'room.newMessages': '새 메시지',
    'room.log': '{room} 방의 메시지',
    'room.you': '나',
    'msg.sending': '보내는 중…',
    'msg.mention': '나를 언급함',
    'sys.join': '{name}님이 입장했습니다.',
    'sys.leave': '{name}님이 나갔습니다.',
    'typing.one': '{name}님이 입력 중…',
    'typing.two': '{a}님과 {b}님이 입력 중…',
    'typing.many': '여러 명이 입력 중…',
    'composer.label': '메시지',
    'composer.placeholder': '{room}에 메시지 보내기',
    'composer.hint': 'Enter로 보내기, Shift+Enter로 줄바꿈',
    'composer.send': '보내기',
    'composer.offline': '연결되면 보낼 수 있습니다.',
    'toast.mention': '{room}에서 {name}님이 나를 언급했습니다',
    'toast.close': '알림 닫기',
    'toast.open': '{room} 방 열기',
    'error.nameEmpty': '이름을 입력하세요.',
    'error.nameLong': '이름은 32자까지입니다.',
    'error.nameControl': '이름에 쓸 수 없는 문자가 있습니다.',
    'error.roomEmpty': '방 이름을 입력하세요.',
    'error.roomBad': '방 이름은 40자까지의 글자, 숫자, -, _ 만 쓸 수 있습니다.',
    'error.blank': '빈 메시지는 보낼 수 없습니다.',
    'error.tooLong': '메시지는 4000자까지입니다.',
    'error.rateLimited': '너무 빨리 보내고 있습니다. 잠시 후 다시 시도하세요.',
    'error.badRoom': '그런 방은 없거나 이름이 올바르지 않습니다.',
    'error.storeFailed': '메시지를 저장하지 못했습니다. 다시 보내 주세요.',
    'error.tooManyRooms': '방을 더 만들 수 없습니다.',
    'error.server': '서버 오류: {message}',
  },
  en: {
    'app.title': 'stompbox chat',
    'app.tagline': 'Pick a room and start talking.',
    'lang.switch': '한국어',
    'lang.switchLabel': 'Switch to Korean',
    'state.connected': 'Connected',
    'state.connecting': 'Connecting…',
    'state.reconnecting': 'Reconnecting…',
    'state.disconnected': 'Disconnected',
    'login.heading': 'Join the conversation',
    'login.name': 'Name',
    'login.placeholder': 'e.g. Hong Gildong',
    'login.hint': 'This browser remembers your name.',
    'login.connect': 'Connect',
    'login.connecting': 'Connecting…',
    'login.refused': 'The server refused this name.',
    'login.pickAnother': 'Please pick another name.',
    'login.lost': 'Cannot reach the server. Retrying shortly.',
    'header.you': 'Signed in as {name}',
    'header.disconnect': 'Sign out',
    'header.notify': 'Enable notifications',
    'rooms.heading': 'Rooms',
    'rooms.joined': 'Your rooms',
    'rooms.other': 'Other rooms',
    'rooms.none': 'You are in no room. Create one or pick one.',
    'rooms.members': '{n} online',
    'rooms.unread': '{n} unread',
    'rooms.create': 'Create',
    'rooms.createLabel': 'New room name',
    'rooms.createPlaceholder': 'New room',
    'rooms.toggle': 'Rooms',
    'room.leave': 'Leave room',
    'room.members': 'Members',
    'room.membersCount': '{n} members',
    'room.membersToggle': 'Show members',
    'room.close': 'Close',
    'room.loadOlder': 'Load older messages',
    'room.loading': 'Loading…',
    'room.start': 'This is the beginning of the conversation.',
    'room.empty': 'No messages yet. Say hello!',
    'room.newMessages': 'New messages',
    'room.log': 'Messages in {room}',
    'room.you': 'you',
    'msg.sending': 'Sending…',
    'msg.mention': 'mentions you',
    'sys.join': '{name} joined.',
    'sys.leave': '{name} left.',
    'typing.one': '{name} is typing…',
    'typing.two': '{a} and {b} are typing…',
    'typing.many': 'Several people are typing…',
    'composer.label': 'Message',
    'composer.placeholder': 'Message {room}',
    'composer.hint': 'Enter to send, Shift+Enter for a new line',
    'composer.send': 'Send',
    'composer.offline': 'You can send once connected.',
    'toast.mention': '{name} mentioned you in {room}',
    'toast.close': 'Dismiss',
    'toast.open': 'Open {room}',
    'error.nameEmpty': 'Enter a name.',
    'error.nameLong': 'A name has at most 32 characters.',
    'error.nameControl': 'The name has characters that cannot be used.',
    'error.roomEmpty': 'Enter a room name.',
    'error.roomBad': 'A room name has up to 40 letters, digits, - and _.',
    'error.blank': 'An empty message cannot be sent.',
    'error.tooLong': 'A message has at most 4000 characters.',
    'error.rateLimited': 'You are sending too fast. Try again in a moment.',
    'error.badRoom': 'No such room, or its name is not valid.',
    'error.storeFailed': 'The message could not be stored. Please send it again.',
    'error.tooManyRooms': 'No more rooms can be created.',
    'error.server': 'Server error: {message}',
  },
};

// The server's error codes on /user/queue/errors, as i18n keys.
export const errorKeys = {
  'too-long': 'error.tooLong',
  blank: 'error.blank',
  'rate-limited': 'error.rateLimited',
  'bad-room': 'error.badRoom',
  'store-failed': 'error.storeFailed',
  'too-many-rooms': 'error.tooManyRooms',
};

export function createI18n(store, doc = globalThis.document) {
  const saved = store?.get(KEYS.lang);
  const state = reactive({ lang: saved === 'en' ? 'en' : 'ko' });
  const apply = () => {
    if (doc?.documentElement) doc.documentElement.lang = state.lang;
  };
  apply();
  return {
    state,
    get lang() {
      return state.lang;
    },
    t(key, params) {
      const text = messages[state.lang][key] ?? messages.ko[key] ?? key;
      if (!params) return text;
      return text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
    },
    setLang(lang) {
      state.lang = lang === 'en' ? 'en' : 'ko';
      store?.set(KEYS.lang, state.lang);
      apply();
    },
    toggle() {
      this.setLang(state.lang === 'ko' ? 'en' : 'ko');
    },
  };
}
