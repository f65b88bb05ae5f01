// A LISTEN subscription on a connection of its own that survives the server: when the
// connection is lost it reconnects with backoff and subscribes again. It never uses one of
// the pool's connections, and never throws from an event handler.
import pg from 'pg';
import { backoffDelayMs, silentLog, type BackoffOptions, type ConnectionLog } from './reconnect.js';

export interface Listener {
  /** True while the LISTEN connection is up; notifications sent while false are missed. */
  readonly isConnected: boolean;
  close(): Promise<void>;
}

export interface ListenEvents {
  /** The connection was lost; notifications are missed until onRestored. */
  onLost?: (error: Error) => void;
  /**
   * The channel is subscribed again after a loss. What was notified meanwhile is gone:
   * look for missed work now (e.g. poll the queue).
   */
  onRestored?: () => void;
}

export interface ListenOptions extends ListenEvents {
  url: string;
  channel: string;
  onNotify: (payload: string) => void;
  log?: ConnectionLog;
  backoff?: BackoffOptions;
}

/** Subscribes to `channel`; rejects only when the first connection fails. */
export async function startListener(options: ListenOptions): Promise<Listener> {
  const { url, channel, onNotify, onLost, onRestored, log = silentLog, backoff } = options;
  let client: pg.Client | null = null;
  let isConnected = false;
  let isClosed = false;
  let retry: NodeJS.Timeout | undefined;

  const subscribe = async (): Promise<pg.Client> => {
    const next = new pg.Client({ connectionString: url });
    // Attached before connect: an 'error' with no listener would end the process.
    next.on('error', (error) => lose(next, error));
    next.on('end', () => lose(next, new Error('Connection terminated')));
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${next.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    return next;
  };

  function lose(lost: pg.Client, error: Error) {
    if (lost !== client || isClosed) return;
    client = null;
    isConnected = false;
    void lost.end().catch(() => undefined);
    log.warn({ err: error, channel }, 'LISTEN connection lost; reconnecting');
    onLost?.(error);
    reconnect(1, Date.now());
  }

  function reconnect(attempt: number, since: number) {
    retry = setTimeout(
      () => {
        subscribe().then(
          (next) => {
            if (isClosed) return void next.end().catch(() => undefined);
            client = next;
            isConnected = true;
            log.info(
              { channel, attempts: attempt, downMs: Date.now() - since },
              'LISTEN connection restored',
            );
            onRestored?.();
          },
          () => !isClosed && reconnect(attempt + 1, since),
        );
      },
      backoffDelayMs(attempt, backoff),
    );
  }

  client = await subscribe();
  isConnected = true;
  return {
    get isConnected() {
      return isConnected;
    },
    async close() {
      isClosed = true;
      isConnected = false;
      clearTimeout(retry);
      const closing = client;
      client = null;
      await closing?.end().catch(() => undefined);
    },
  };
}
