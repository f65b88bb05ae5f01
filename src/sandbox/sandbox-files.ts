// The host files one bubblewrap sandbox needs, made once when it is created: its own /etc, the
// empty files that mask what must not be seen, and a private folder for the seccomp program
// and each run's argument file. Nothing here may hold a host secret or be writable inside.
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { posix } from 'node:path';
import { networkEtcFiles, sandboxHome, sandboxUid } from './bubblewrap-args.js';
import { slirpNetwork } from './egress-addresses.js';
import { buildSeccompFilter } from './seccomp.js';

// The few parts of /etc that programs need, copied once into the sandbox's own /etc (one
// mount instead of many). Never /etc/shadow, /etc/ssl/private, ssh keys or credentials.
const etcEntries = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'nsswitch.conf',
  'ssl/certs',
  'ssl/openssl.cnf',
  'ca-certificates',
  'ca-certificates.conf',
  'mime.types',
  'services',
  'protocols',
  'bash.bashrc',
  'profile',
  'inputrc',
];

// Kernel interfaces under /proc. Those that can write kernel state are bound read-only over
// themselves; those that reveal kernel memory, keys or timers are hidden behind an empty
// file. A sandbox without host privilege could not use most of them anyway: this holds even
// if a kernel bug or a mistake gave it a privilege.
const readOnlyProc = ['/proc/sys', '/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs'];
const hiddenProc = [
  '/proc/kcore',
  '/proc/kmsg',
  '/proc/kallsyms',
  '/proc/keys',
  '/proc/key-users',
  '/proc/timer_list',
  '/proc/sched_debug',
  '/proc/latency_stats',
  '/proc/kpagecount',
  '/proc/kpageflags',
  '/proc/kpagecgroup',
];

/** Where one sandbox's own files are on the host. */
export interface SandboxFiles {
  /** The sandbox's /etc: one user, no host accounts or secrets. */
  etcDir: string;
  /** An empty read-only file and folder, bound over what the sandbox must not see. */
  emptyFile: string;
  emptyDir: string;
  /** An empty folder the privileged stage binds the worktree on (Cadre run as root). */
  mountPoint: string;
  /** The seccomp program bubblewrap loads (from a folder only Cadre's user can read). */
  seccompFile: string;
  /** /proc entries of this kernel to bind read-only, and to hide. */
  proc: { readOnly: string[]; hidden: string[] };
  /** Writes one run's bubblewrap arguments (NUL-separated) and returns the file. */
  writeArgs(args: readonly string[]): string;
}

/** Makes a sandbox's files in a new folder under the system's temporary folder. */
export function prepareSandboxFiles(): SandboxFiles {
  const root = mkdtempSync(posix.join(tmpdir(), 'cadre-sandbox-'));
  const privateDir = posix.join(root, 'private');
  mkdirSync(privateDir, { mode: 0o700 });
  const seccompFile = posix.join(privateDir, 'seccomp.bpf');
  writeFileSync(seccompFile, buildSeccompFilter(), { mode: 0o400 });
  const files: SandboxFiles = {
    etcDir: prepareEtc(posix.join(root, 'etc')),
    emptyFile: posix.join(root, 'empty'),
    emptyDir: posix.join(root, 'empty-dir'),
    mountPoint: posix.join(root, 'workspace'),
    seccompFile,
    proc: {
      readOnly: readOnlyProc.filter((path) => existsSync(path)),
      hidden: hiddenProc.filter((path) => existsSync(path)),
    },
    writeArgs: (args) => {
      const file = posix.join(privateDir, `args-${randomUUID()}`);
      writeFileSync(file, args.map((arg) => `${arg}\0`).join(''), { mode: 0o600 });
      return file;
    },
  };
  writeFileSync(files.emptyFile, '', { mode: 0o444 });
  mkdirSync(files.emptyDir, { mode: 0o555 });
  mkdirSync(files.mountPoint, { mode: 0o755 });
  // The unprivileged stage (Cadre run as root) must reach the etc folder and the mount point.
  chmodSync(root, 0o755);
  return files;
}

/** Removes a run's argument file; it is read once, when the run starts. */
export function removeArgsFile(file: string): void {
  rmSync(file, { force: true });
}

function prepareEtc(dir: string): string {
  mkdirSync(dir);
  for (const entry of etcEntries) {
    const source = posix.join('/etc', entry);
    if (!existsSync(source)) continue;
    mkdirSync(posix.dirname(posix.join(dir, entry)), { recursive: true });
    try {
      cpSync(source, posix.join(dir, entry), { recursive: true, verbatimSymlinks: true });
    } catch {
      // Unreadable for Cadre's user: then the sandbox goes without it too.
    }
  }
  writeFileSync(posix.join(dir, 'passwd'), passwdFile, { mode: 0o444 });
  writeFileSync(posix.join(dir, 'group'), groupFile, { mode: 0o444 });
  writeFileSync(posix.join(dir, 'hostname'), 'cadre-sandbox\n', { mode: 0o444 });
  // Mount points for the network files, bound over them per run when allowed.
  for (const file of networkEtcFiles) writeFileSync(posix.join(dir, file), '', { mode: 0o444 });
  // The resolver of networked runs is slirp4netns': the host's may be on a private address.
  writeFileSync(posix.join(dir, 'resolv.conf'), `nameserver ${slirpNetwork.resolver}\n`, {
    mode: 0o444,
  });
  chmodSync(dir, 0o755);
  return dir;
}

const passwdFile = `root:x:0:0:root:/root:/usr/sbin/nologin\ncadre:x:${sandboxUid}:${sandboxUid}:cadre:${sandboxHome}:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
const groupFile = `root:x:0:\ncadre:x:${sandboxUid}:\nnogroup:x:65534:\n`;
