// Network for sandboxes of projects with hasNetwork: a private network namespace, made before
// bubblewrap starts, with slirp4netns as its only way out and nftables rules that refuse the
// host and private ranges. The command is held until both are in place; the egress helper
// dies with the run. Runs without network never come here.
import { accessSync, constants } from 'node:fs';
import { isIpv4AddressOrCidr } from '../config/index.js';
import { CadreError } from '../errors/index.js';
import { toCidr } from './egress-addresses.js';
import type { EgressTools } from './egress-attach.js';
import { openEgressSession, type EgressSession } from './egress-session.js';
import { findExecutable, type SearchOptions } from './find-executable.js';
import type { PtyProcess, RunHandle } from './types.js';

export type { EgressSession } from './egress-session.js';

/** How to install what networked sandboxes need, for messages and the start-up report. */
export const egressInstallHint =
  'Install slirp4netns and nftables (Debian and Ubuntu: apt-get install slirp4netns nftables; Fedora: dnf install slirp4netns nftables).';

export interface EgressOptions {
  /** Private or host addresses (IPv4 or CIDR) sandboxes may reach anyway. */
  allow?: readonly string[];
  /** How long the network may take to come up before the run fails; default 10 s. */
  setupTimeoutMs?: number;
  /** Where to look for the tools; tests narrow it to prove the missing-tool error. */
  search?: SearchOptions;
}

/** Makes networked sessions; created once per sandbox. */
export interface Egress {
  open(command: readonly string[]): EgressSession;
  /** `start(command)` as is without network; with it, held in its own network until ready. */
  run(
    hasNetwork: boolean | undefined,
    command: readonly string[],
    start: (command: readonly string[]) => RunHandle,
  ): RunHandle;
  /** The same for a terminal. */
  openPty(
    hasNetwork: boolean | undefined,
    command: readonly string[],
    start: (command: readonly string[]) => PtyProcess,
  ): PtyProcess;
}

/** The egress of networked sandboxes; it checks the tools only when a networked run comes. */
export function createEgress(options: EgressOptions = {}): Egress {
  const allow = (options.allow ?? []).map((entry) => {
    if (!isIpv4AddressOrCidr(entry)) {
      throw new CadreError(
        'CONFIG_INVALID',
        `sandbox.networkAllow: "${entry}" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24).`,
      );
    }
    return toCidr(entry);
  });
  const setupTimeoutMs = options.setupTimeoutMs ?? 10_000;
  let tools: EgressTools | null = null;
  const open = (command: readonly string[]) => {
    tools ??= findTools(options.search);
    checkTun();
    return openEgressSession({ command, tools, allow, setupTimeoutMs });
  };
  const held = <T>(
    command: readonly string[],
    start: (command: readonly string[]) => T,
    follow: (session: EgressSession, started: T) => T,
  ): T => {
    const session = open(command);
    try {
      return follow(session, start(session.command));
    } catch (error) {
      session.close();
      throw error;
    }
  };
  return {
    open,
    run: (hasNetwork, command, start) =>
      hasNetwork ? held(command, start, followRun) : start(command),
    openPty: (hasNetwork, command, start) =>
      hasNetwork ? held(command, start, followPty) : start(command),
  };
}

/** Keeps the egress helper alive exactly as long as the run. */
function followRun(session: EgressSession, handle: RunHandle): RunHandle {
  session.start();
  void handle.result.finally(session.close).catch(() => undefined);
  return {
    ...handle,
    kill: () => {
      handle.kill();
      session.close();
    },
  };
}

/** Keeps the egress helper alive exactly as long as the terminal. */
function followPty(session: EgressSession, pty: PtyProcess): PtyProcess {
  session.start();
  pty.onExit(session.close);
  return {
    pid: pty.pid,
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    onData: (listener) => pty.onData(listener),
    onExit: (listener) => pty.onExit(listener),
    kill: () => {
      pty.kill();
      session.close();
    },
  };
}

const toolNames = ['unshare', 'nsenter', 'slirp4netns', 'nft', 'mkfifo'] as const;

/** The programs networked runs need that are not installed here (for the start-up report). */
export function missingEgressTools(search: SearchOptions = {}): string[] {
  return toolNames.filter((name) => !findExecutable(name, search));
}

function findTools(search: SearchOptions = {}): EgressTools {
  const found: Partial<EgressTools> = {};
  const missing: string[] = [];
  for (const name of toolNames) {
    const path = findExecutable(name, search);
    if (path) found[name] = path;
    else missing.push(name);
  }
  if (missing.length > 0) {
    throw new CadreError(
      'SANDBOX_NETWORK_UNAVAILABLE',
      `This project has network access, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed, so its sandbox cannot be given a confined network. ${egressInstallHint}`,
      { details: { missing } },
    );
  }
  return found as EgressTools;
}

function checkTun(): void {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    throw new CadreError(
      'SANDBOX_NETWORK_UNAVAILABLE',
      "This project has network access, but /dev/net/tun cannot be opened by Cadre's user, so slirp4netns cannot give its sandbox a network. Load the tun module and make /dev/net/tun readable and writable by that user (mode 0666 is the default on Debian).",
    );
  }
}
