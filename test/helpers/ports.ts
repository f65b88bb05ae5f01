// A loopback port nothing listens on, for tests of a server that refuses connections.
import { createServer } from 'node:net';

/** Binds a free port, closes it, and returns it: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
