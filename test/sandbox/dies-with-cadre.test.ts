// A sandboxed command must not outlive Cadre: killing Cadre's process with SIGKILL (no chance
// to clean up) takes every process of its runs down, as root and as an ordinary user.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/run-and-wait.ts', import.meta.url));
let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'cadre-dies-'));
});
afterAll(() => rm(workspace, { recursive: true, force: true }));

/** Pids of host processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('a sandboxed command when Cadre is killed', () => {
  it('dies with it, bubblewrap and all', async () => {
    const marker = `${randomInt(1000, 9999)}.${randomInt(1000, 9999)}`;
    const cadre = spawn(process.execPath, ['--import', 'tsx', fixture, workspace, marker], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    cadre.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('started'), 20_000);
    expect(processesWith(`sleep ${marker}`).length).toBeGreaterThan(0);
    cadre.kill('SIGKILL');
    await waitFor(() => processesWith(marker).length === 0, 10_000);
    expect(processesWith(marker)).toEqual([]);
  });
});
