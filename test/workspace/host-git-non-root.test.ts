// Host git stays closed for an operator who does not run Cadre as root: the planted-repository
// chain run by an unprivileged user (nobody, when the tests run as root).
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/host-git-as-user.ts', import.meta.url));
const nobody = 65534;
const isRoot = process.getuid?.() === 0;
let dataDir: string;
let markerDir: string;
let output: {
  uid: number;
  planted: number;
  nested: Record<string, string>;
  symlinks: Record<string, string>;
  clean: Record<string, string>;
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cadre-git-user-'));
  markerDir = await mkdtemp(join(tmpdir(), 'cadre-git-user-marker-'));
  if (isRoot) {
    await chown(dataDir, nobody, nobody);
    await chown(markerDir, nobody, nobody); // the filter, had it run, could write here
  }
  const command = isRoot
    ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', process.execPath]
    : [process.execPath];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      command[0]!,
      [...command.slice(1), '--import', 'tsx', fixture, dataDir, markerDir],
      { env: { PATH: process.env.PATH, HOME: dataDir }, cwd: process.cwd(), timeout: 90_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
    );
  });
  output = JSON.parse(stdout.trim().split('\n').at(-1)!) as typeof output;
}, 120_000);
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(markerDir, { recursive: true, force: true });
});

describe('host git run by an unprivileged user', () => {
  it('runs nothing a sandboxed command planted and refuses the nested repository and the links', async () => {
    expect(output.uid).toBe(isRoot ? nobody : process.getuid!());
    expect(output.planted).toBe(0);
    expect(await readdir(markerDir)).toEqual([]);
    expect(output.nested).toEqual({
      diff: 'WORKSPACE_NESTED_REPOSITORY',
      status: 'WORKSPACE_NESTED_REPOSITORY',
      commit: 'WORKSPACE_NESTED_REPOSITORY',
    });
    expect(output.symlinks).toEqual({ commit: 'WORKSPACE_SYMLINK_OUTSIDE' });
    expect(output.clean).toEqual({ commit: 'ok' });
  });
});
