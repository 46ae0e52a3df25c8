// The live view's entry: a read-only transcript of one room for a wall
// screen. It imports no STOMP code.
import { createApp } from 'vue';
import LiveApp from './LiveApp.vue';
import { createLiveFeed, roomFromPath } from './live-feed.js';
import './live.css';

const room = roomFromPath();
const feed = createLiveFeed({ room });
createApp(LiveApp, { feed }).mount('#live');
if (room) feed.start();
