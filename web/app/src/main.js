// The chat app's entry: one chat client on the real STOMP transport, the
// i18n state, and the root component.
import { createApp } from 'vue';
import App from './App.vue';
import { createChatClient } from './chat-client.js';
import { createI18n } from './i18n.js';
import { createStore } from './storage.js';
import { stompTransport } from './stomp-transport.js';
import './style.css';

const store = createStore();
const debug = new URLSearchParams(location.search).has('debug')
  ? (text) => console.debug(text)
  : undefined;
const client = createChatClient({ transport: stompTransport, store, debug });
const i18n = createI18n(store);

createApp(App, { client, i18n }).mount('#app');
client.resume(); // a reload goes back into the chat it left
