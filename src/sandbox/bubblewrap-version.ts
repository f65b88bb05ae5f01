// What the installed bubblewrap can do, read once from `bwrap --version`: `--disable-userns`
// came with 0.8.0 (Debian 12; Ubuntu 22.04 ships 0.6). Without it the seccomp filter alone
// refuses new user namespaces.
import { execFileSync } from 'node:child_process';

/** Whether this bubblewrap knows `--disable-userns`. */
export function canDisableUserns(bwrap: string): boolean {
  let text: string;
  try {
    text = execFileSync(bwrap, ['--version'], { env: {}, timeout: 10_000 }).toString();
  } catch {
    return false;
  }
  const match = /(\d+)\.(\d+)/.exec(text);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 0 || minor >= 8;
}
