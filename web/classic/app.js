// app.js — the page's DOM glue around chat.js. Loaded as a module after the
// classic script vendor/stomp.umd.min.js, which defines the global StompJs.
import { createChat } from './chat.js';

const $ = (id) => document.getElementById(id);

// The STOMP endpoint on the server that served this page.
function brokerURL(loc = window.location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/chat-app`;
}

// Debug output from stompjs goes to the console when the page is opened
// with ?debug in its address.
const debug = new URLSearchParams(window.location.search).has('debug')
  ? (text) => console.debug(text)
  : undefined;

let chat = null;

function setStatus(text, kind = '') {
  const status = $('status');
  status.textContent = text;
  status.className = kind ? `status ${kind}` : 'status';
}

// As in the seed: while connected, 연결 is disabled and 끊기 enabled.
function setConnected(connected) {
  $('connect').disabled = connected;
  $('disconnect').disabled = !connected;
  $('name').readOnly = connected;
}

// Appends one line to the table. The text goes in with textContent, never
// as HTML: a message is whatever anybody typed.
function showMessage(line) {
  const row = document.createElement('tr');
  const cell = document.createElement('td');
  cell.textContent = line;
  row.append(cell);
  $('chat-messages').append(row);
  row.scrollIntoView({ block: 'nearest' });
}

function connect() {
  const name = $('name').value.trim();
  if (!name) {
    setStatus('이름을 입력하세요.', 'error');
    $('name').focus();
    return;
  }
  if (chat) {
    chat.deactivate();
  }
  $('chat-messages').replaceChildren();
  setConnected(true);
  setStatus('연결 중…');

  const current = createChat(window.StompJs.Client, {
    brokerURL: brokerURL(),
    name,
    debug,
    onLine: (line) => {
      if (chat === current) showMessage(line);
    },
    onConnect: () => {
      if (chat !== current) return;
      setStatus(`${name}(으)로 연결되었습니다.`, 'ok');
      $('content').focus();
    },
    onDisconnect: () => {
      if (chat !== current) return;
      if (current.client.active) {
        setStatus('연결이 끊어졌습니다. 다시 연결하는 중…', 'error');
      }
    },
    onError: (message, detail) => {
      console.error(message, detail ?? '');
      if (chat === current) setStatus(message, 'error');
    },
  });
  chat = current;
  chat.activate();
}

function disconnect() {
  if (chat) {
    chat.deactivate();
    chat = null;
  }
  setConnected(false);
  setStatus('연결을 끊었습니다.');
  console.log('Disconnected');
}

function sendMessage() {
  const input = $('content');
  const content = input.value;
  if (content === '') return;
  if (!chat || !chat.send(content)) {
    setStatus('먼저 연결하세요.', 'error');
    return;
  }
  input.value = '';
  input.focus();
}

function init() {
  for (const form of document.querySelectorAll('.form-inline')) {
    form.addEventListener('submit', (e) => e.preventDefault());
  }
  // The connect form has two submit buttons; each acts on its own click
  // (Enter in the name field clicks the first enabled one, 연결).
  $('connect').addEventListener('click', () => connect());
  $('disconnect').addEventListener('click', () => disconnect());
  // Send is the message form's submit button: clicking it and pressing
  // Enter in the message field both submit the form, once.
  $('send-form').addEventListener('submit', () => sendMessage());

  if (!window.StompJs || typeof window.StompJs.Client !== 'function') {
    $('connect').disabled = true;
    setStatus('STOMP 라이브러리(vendor/stomp.umd.min.js)를 불러오지 못했습니다. `make build`로 빌드하세요.', 'error');
  }
}

// Module scripts run after the document is parsed, so the DOM is ready.
init();
