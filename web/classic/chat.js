// chat.js — the seed's STOMP chat client logic, without any DOM use, so the
// same code runs in the page (app.js) and in Node (test/e2e/chat.test.mjs).
//
// The STOMP client class is passed in: in the page it is the global
// StompJs.Client from vendor/stomp.umd.min.js, in Node it is the Client
// export of @stomp/stompjs.

/** Topic the server broadcasts greetings ({name}) to. */
export const GREETINGS_TOPIC = '/topic/greetings';
/** Topic the server broadcasts chat messages ({name, content}) to. */
export const CHAT_TOPIC = '/topic/chat';
/** Application destination for the greeting sent after connecting. */
export const HELLO_DESTINATION = '/app/hello';
/** Application destination for chat messages. */
export const CHAT_DESTINATION = '/app/chat';

/** The line shown for a greeting, as in the seed. */
export function greetingLine(name) {
  return `${name}님이 입장했습니다.`;
}

/** The line shown for a chat message, as in the seed. */
export function chatLine(name, content) {
  return `${name}:${content}`;
}

const noop = () => {};

/**
 * Creates a chat session for one person.
 *
 * @param {Function} Client  the @stomp/stompjs Client class
 * @param {object} options
 * @param {string} options.brokerURL  e.g. ws://localhost:8080/chat-app
 * @param {string} options.name  the person's name, sent with every message
 * @param {(line: string, info: {topic: string, message: object}) => void} [options.onLine]
 *        called with each line to show (greetings and chat messages)
 * @param {(frame: object) => void} [options.onConnect]  after the STOMP CONNECTED
 *        frame, once the subscriptions are made and the greeting is published
 * @param {(event: object) => void} [options.onDisconnect]  when the WebSocket closes
 * @param {(message: string, detail?: unknown) => void} [options.onError]
 *        WebSocket errors, STOMP ERROR frames and unreadable message bodies
 * @param {(text: string) => void} [options.debug]  stompjs debug output
 * @param {number} [options.reconnectDelay]  stompjs reconnect delay in ms
 *        (stompjs' default, 5000, when omitted; 0 disables reconnecting)
 * @returns {{activate(): void, deactivate(): Promise<void>, send(content: string): boolean, client: object}}
 */
export function createChat(Client, {
  brokerURL,
  name,
  onLine = noop,
  onConnect = noop,
  onDisconnect = noop,
  onError = noop,
  debug,
  reconnectDelay,
} = {}) {
  if (typeof Client !== 'function') {
    throw new TypeError('createChat: Client must be the @stomp/stompjs Client class');
  }
  if (!brokerURL) {
    throw new TypeError('createChat: brokerURL is required');
  }

  // The name goes in the CONNECT login header too: the server knows each
  // session's user by it (a nickname, not a password-checked login).
  const config = { brokerURL, connectHeaders: { login: name } };
  if (typeof debug === 'function') config.debug = debug;
  if (reconnectDelay !== undefined) config.reconnectDelay = reconnectDelay;
  const client = new Client(config);

  // Parses a message body and hands the line to onLine; a body that is not
  // the JSON the server promised is reported, never shown.
  const deliver = (topic, toLine) => (message) => {
    let parsed;
    try {
      parsed = JSON.parse(message.body);
    } catch (err) {
      onError(`${topic}: 읽을 수 없는 메시지입니다: ${message.body}`, err);
      return;
    }
    if (parsed === null || typeof parsed !== 'object') {
      onError(`${topic}: 읽을 수 없는 메시지입니다: ${message.body}`);
      return;
    }
    onLine(toLine(parsed), { topic, message: parsed });
  };

  client.onConnect = (frame) => {
    // Subscribe first, then greet, so that our own greeting comes back to us.
    client.subscribe(GREETINGS_TOPIC, deliver(GREETINGS_TOPIC, (m) => greetingLine(m.name)));
    client.subscribe(CHAT_TOPIC, deliver(CHAT_TOPIC, (m) => chatLine(m.name, m.content)));
    client.publish({
      destination: HELLO_DESTINATION,
      body: JSON.stringify({ name }),
    });
    onConnect(frame);
  };

  client.onWebSocketError = (event) => {
    onError('Error with websocket', event);
  };

  client.onStompError = (frame) => {
    onError(`Broker reported error: ${frame.headers.message}`, frame.body);
  };

  client.onWebSocketClose = (event) => {
    onDisconnect(event);
  };

  return {
    client,
    /** Opens the connection (and reconnects after losing it). */
    activate() {
      client.activate();
    },
    /** Closes the connection and stops reconnecting. */
    deactivate() {
      return client.deactivate();
    },
    /**
     * Publishes {name, content} to /app/chat. Returns false, sending
     * nothing, when the STOMP session is not connected.
     */
    send(content) {
      if (!client.connected) return false;
      client.publish({
        destination: CHAT_DESTINATION,
        body: JSON.stringify({ name, content }),
      });
      return true;
    },
  };
}
