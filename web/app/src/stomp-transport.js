// The real transport of chat-client.js: a @stomp/stompjs Client. Reconnects
// back off exponentially (1 s, 2 s, 4 s, ... up to 15 s, reset once
// connected), and each retry waits a little more at random so that a
// restarted server is not hit by every browser in the same instant.
import { Client, ReconnectionTimeMode } from '@stomp/stompjs';

export function stompTransport(config) {
  let attempts = 0;
  const client = new Client({
    ...config,
    reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
    beforeConnect: () =>
      attempts++ === 0 ? undefined : new Promise((r) => setTimeout(r, Math.random() * 750)),
    onConnect: (frame) => {
      attempts = 0;
      config.onConnect?.(frame);
    },
  });
  if (!config.debug) client.debug = () => {};
  return client;
}
