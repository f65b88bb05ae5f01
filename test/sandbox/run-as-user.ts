// Runs a test fixture as another, unprivileged user (setpriv), the way an operator who does
// not run Cadre as root would. The fixture is bundled, with node-pty beside it, into a new
// folder every user can read: the checkout itself may sit where that user cannot look.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

/** The user the fixtures run as when the tests run as root. */
export const nobody = 65534;
export const isRoot = process.getuid?.() === 0;

export interface RunAsUserOptions {
  /** The fixture's TypeScript file. */
  fixture: string;
  args: readonly string[];
  /** Used when the tests run as root; otherwise the fixture runs as this user. */
  uid?: number;
  timeoutMs?: number;
  /** Variables added to the fixture's environment (beside PATH). */
  env?: Record<string, string>;
}

/** The fixture's stdout, once it exits with 0; its stderr in the error otherwise. */
export async function runAsUser(options: RunAsUserOptions): Promise<string> {
  const { uid = nobody, timeoutMs = 90_000 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'cadre-fixture-'));
  try {
    await chmod(dir, 0o755);
    const outfile = join(dir, 'fixture.mjs');
    await build({
      entryPoints: [options.fixture],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['node-pty'],
      logLevel: 'silent',
      // Bundled CommonJS packages call require(); an ES module has none of its own.
      banner: {
        js: "import { createRequire as cadreCreateRequire } from 'node:module'; const require = cadreCreateRequire(import.meta.url);",
      },
    });
    const ptyDir = dirname(createRequire(import.meta.url).resolve('node-pty/package.json'));
    // Only what node-pty loads on Linux: its JavaScript and the compiled module.
    await cp(ptyDir, join(dir, 'node_modules', 'node-pty'), {
      recursive: true,
      filter: (source) =>
        !/^\/(prebuilds|deps|third_party|src|scripts|node-addon-api)(\/|$)/.test(
          source.slice(ptyDir.length),
        ),
    });
    const command = isRoot
      ? ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath]
      : [process.execPath];
    return await new Promise<string>((resolve, reject) => {
      execFile(
        command[0]!,
        [...command.slice(1), outfile, ...options.args],
        {
          env: { PATH: process.env.PATH, ...options.env },
          cwd: dir,
          timeout: timeoutMs,
          maxBuffer: 16 << 20,
        },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
