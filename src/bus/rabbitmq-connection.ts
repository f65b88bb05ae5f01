// One RabbitMQ connection with a confirm channel that comes back by itself: when the
// connection or the channel fails it reconnects with backoff and runs `setup` (topology,
// consumers) before anything is published again. It never gives up while open.
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { backoffDelayMs, silentLog, type BackoffOptions, type ConnectionLog } from '../db/index.js';
import { CadreError } from '../errors/index.js';

export interface RabbitMqConnectionOptions {
  url: string;
  /** Declares topology and attaches consumers on a fresh channel, at every (re)connect. */
  setup: (channel: ConfirmChannel) => Promise<void>;
  /** Called once per loss, before reconnecting (e.g. to fail requests awaiting replies). */
  onLost?: (error: Error) => void;
  log?: ConnectionLog;
  backoff?: BackoffOptions;
}

export interface RabbitMqConnection {
  /** The live channel, or null while reconnecting. */
  readonly channel: ConfirmChannel | null;
  /** Why the last connection ended; null while connected. */
  readonly lastError: string | null;
  /** The live channel; waits up to `timeoutMs` for one, then fails with BUS_UNAVAILABLE. */
  waitForChannel(timeoutMs: number): Promise<ConfirmChannel>;
  close(): Promise<void>;
}

interface Waiter {
  resolve: (channel: ConfirmChannel) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Connects once (rejecting with BUS_UNAVAILABLE if that fails), then stays connected. */
export async function openRabbitMqConnection(
  options: RabbitMqConnectionOptions,
): Promise<RabbitMqConnection> {
  const { url, setup, onLost, log = silentLog, backoff } = options;
  const where = redactUrl(url);
  let model: ChannelModel | null = null;
  let channel: ConfirmChannel | null = null;
  let lastError: string | null = null;
  let isClosed = false;
  let retry: NodeJS.Timeout | undefined;
  const waiters = new Set<Waiter>();

  async function open(): Promise<void> {
    const next = await connect(url);
    try {
      // 'close' follows every 'error'; the close handler below decides what happens next.
      next.on('error', () => undefined);
      next.on('close', (error?: Error) => lose(next, error ?? new Error('connection closed')));
      const nextChannel = await next.createConfirmChannel();
      nextChannel.on('error', () => undefined);
      // A channel the broker closed (e.g. on a failed declaration) takes its connection along,
      // so that every recovery goes through one path.
      nextChannel.on('close', () => {
        // From this moment nothing may publish on it, even before the connection reports.
        if (channel === nextChannel) channel = null;
        void next.close().catch(() => undefined);
      });
      await setup(nextChannel);
      if (isClosed) throw new Error('closed while connecting');
      model = next;
      channel = nextChannel;
      lastError = null;
    } catch (error) {
      await next.close().catch(() => undefined);
      throw error;
    }
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(channel);
    }
    waiters.clear();
  }

  function lose(lost: ChannelModel, error: Error) {
    if (lost !== model || isClosed) return;
    model = null;
    channel = null;
    lastError = error.message;
    log.warn(
      { component: 'rabbitmq', url: where, err: error },
      'RabbitMQ connection lost; reconnecting',
    );
    onLost?.(error);
    reconnect(1, Date.now());
  }

  function reconnect(attempt: number, since: number) {
    retry = setTimeout(
      () => {
        open().then(
          () =>
            log.info(
              { component: 'rabbitmq', url: where, attempts: attempt, downMs: Date.now() - since },
              'RabbitMQ connection restored',
            ),
          (error: unknown) => {
            if (isClosed) return;
            lastError = (error as Error).message;
            reconnect(attempt + 1, since);
          },
        );
      },
      backoffDelayMs(attempt, backoff),
    );
  }

  try {
    await open();
  } catch (error) {
    throw new CadreError(
      'BUS_UNAVAILABLE',
      `Cannot connect to RabbitMQ at ${where}: ${(error as Error).message}. Check CADRE_RABBITMQ_URL.`,
      { cause: error },
    );
  }

  return {
    get channel() {
      return channel;
    },
    get lastError() {
      return lastError;
    },
    waitForChannel(timeoutMs) {
      if (channel) return Promise.resolve(channel);
      if (isClosed) return Promise.reject(unavailable('the bus is closed'));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(
              unavailable(
                `RabbitMQ at ${where} is unreachable (${lastError ?? 'reconnecting'}); gave up after waiting ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    async close() {
      isClosed = true;
      clearTimeout(retry);
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(unavailable('the bus was closed'));
      }
      waiters.clear();
      const closing = model;
      model = null;
      channel = null;
      await closing?.close().catch(() => undefined);
    },
  };
}

function unavailable(reason: string): CadreError {
  return new CadreError('BUS_UNAVAILABLE', `The message bus is unavailable: ${reason}.`, {
    details: { reason },
  });
}

/** The URL with its password hidden, for messages and logs. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:[redacted]@');
