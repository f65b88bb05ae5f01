// A private RabbitMQ server (Debian's rabbitmq-server) on a free loopback port, for one test file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { connect } from 'amqplib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

const serverBinary = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface RabbitMq {
  url: string;
  /** Stops the broker process but keeps its data, as an operator's restart does. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and node name; resolves once it accepts connections. */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts RabbitMQ and resolves once it accepts AMQP connections. */
export async function startRabbitMq(): Promise<RabbitMq> {
  const dir = await mkdtemp(join(tmpdir(), 'cadre-rabbitmq-'));
  await writeFile(join(dir, 'enabled_plugins'), '[].');
  const [port, distPort] = [await freePort(), await freePort()];
  const name = `cadre${port}@localhost`;
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const startServer = async () => {
    child = spawn(serverBinary, [], {
      detached: true,
      stdio: 'ignore',
      env: {
        PATH: '/usr/bin:/bin:/usr/sbin:/sbin',
        HOME: dir,
        RABBITMQ_NODENAME: name,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
        ERL_EPMD_ADDRESS: '127.0.0.1',
      },
    });
    await waitFor('RabbitMQ to accept connections', () => canConnect(url), 60_000);
  };
  const stopServer = async () => {
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      process.kill(-running.pid!, 'SIGTERM');
      await exited;
    }
    child = null;
  };
  const stop = async () => {
    await stopServer();
    // The Erlang port mapper it started outlives it; it refuses to stop while other nodes use it.
    spawnSync('epmd', ['-kill'], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await startServer();
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stopServer, startServer, stop };
}

async function canConnect(url: string): Promise<boolean> {
  try {
    const connection = await connect(url);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}
