// A client of the live WebSocket for tests: opens GET /api/live with a key on a listening
// server and keeps every message it receives, in order.
import { WebSocket } from 'undici';

/** A live socket, its messages so far, and promises for its opening and closing. */
export function openLiveSocket<Message>(port: number, key: string) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/live`, [
    'cadre.live.v1',
    `bearer.${key}`,
  ]);
  const received: Message[] = [];
  socket.addEventListener('message', (message) =>
    received.push(JSON.parse(String(message.data)) as Message),
  );
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new Error('the WebSocket did not open')));
  });
  const closed = new Promise<void>((resolve) => socket.addEventListener('close', () => resolve()));
  return {
    socket,
    received,
    opened,
    closed,
    send: (message: unknown) => socket.send(JSON.stringify(message)),
  };
}
