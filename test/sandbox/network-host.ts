// A stand-in for the internet and the host's neighbours, for the network tests (root only):
// a network namespace behind a veth pair with a public-looking address (198.51.100.2) and,
// routed through it, a private and a link-local address; small TCP servers answer on each,
// and on the host's own addresses, with their name. close() removes all of it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';

export const farPort = 7070;

export interface NetworkTestHost {
  /** The public-looking server on the far side. */
  publicAddress: string;
  /** Servers on the far side at a private and a link-local address, routed from the host. */
  privateAddress: string;
  allowlistedAddress: string;
  linkLocalAddress: string;
  /** The host's end of the veth pair, one of the host's own addresses. */
  hostVethAddress: string;
  /** A server on the host's 127.0.0.1, and one on each of the host's IPv4 addresses. */
  hostServers: { address: string; port: number }[];
  loopbackPort: number;
  /** The port of the server on hostVethAddress. */
  vethPort: number;
  close(): Promise<void>;
}

/** Builds the test host; needs root (ip netns, veth). */
export async function createNetworkTestHost(): Promise<NetworkTestHost> {
  const id = randomBytes(3).toString('hex');
  const octet = String(16 + (randomBytes(1)[0]! % 200));
  const names = { netns: `cadre-test-${id}`, host: `cdh${id}`, far: `cdf${id}` };
  const privateAddress = `10.200.${octet}.2`;
  const allowlistedAddress = `10.200.${octet}.3`;
  const linkLocalAddress = `169.254.${octet}.2`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  const inFar = (...args: string[]) => ip('netns', 'exec', names.netns, 'ip', ...args);
  const cleanups: (() => void | Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Gone already.
      }
    }
  };
  try {
    ip('netns', 'add', names.netns);
    cleanups.push(() => void ip('netns', 'delete', names.netns));
    ip('link', 'add', names.host, 'type', 'veth', 'peer', 'name', names.far);
    cleanups.push(() => void ip('link', 'delete', names.host));
    ip('link', 'set', names.far, 'netns', names.netns);
    ip('addr', 'add', '198.51.100.1/24', 'dev', names.host);
    ip('link', 'set', names.host, 'up');
    inFar('addr', 'add', '198.51.100.2/24', 'dev', names.far);
    inFar('link', 'set', names.far, 'up');
    inFar('link', 'set', 'lo', 'up');
    for (const address of [privateAddress, allowlistedAddress, linkLocalAddress]) {
      inFar('addr', 'add', `${address}/32`, 'dev', 'lo');
      ip('route', 'add', `${address}/32`, 'via', '198.51.100.2', 'dev', names.host);
    }
    const far = await startFarServers(names.netns, [
      '198.51.100.2',
      privateAddress,
      allowlistedAddress,
      linkLocalAddress,
    ]);
    cleanups.push(() => void far.kill('SIGKILL'));
    const hostServers: { address: string; port: number }[] = [];
    for (const address of hostIpv4Addresses()) {
      const server = await listen(address, `host ${address}`);
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      hostServers.push({ address, port: portOf(server) });
    }
    return {
      publicAddress: '198.51.100.2',
      privateAddress,
      allowlistedAddress,
      linkLocalAddress,
      hostVethAddress: '198.51.100.1',
      hostServers,
      loopbackPort: hostServers.find((server) => server.address === '127.0.0.1')!.port,
      vethPort: hostServers.find((server) => server.address === '198.51.100.1')!.port,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function hostIpv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => entry.family === 'IPv4')
    .map((entry) => entry.address);
}

function listen(address: string, name: string): Promise<Server> {
  const server = createServer((socket) => socket.end(`${name}\n`));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, address, () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

// One node process inside the far namespace, answering "far <address>" on each address.
const farScript = `
const net = require('node:net');
let left = process.argv.length - 1;
for (const address of process.argv.slice(1)) {
  net.createServer((socket) => socket.end('far ' + address + '\\n'))
    .listen(${farPort}, address, () => { if (--left === 0) console.log('ready'); });
}`;

function startFarServers(netns: string, addresses: string[]): Promise<ChildProcess> {
  const child = spawn(
    'ip',
    ['netns', 'exec', netns, process.execPath, '-e', farScript, ...addresses],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the far servers exited (${code})`)));
  });
}
