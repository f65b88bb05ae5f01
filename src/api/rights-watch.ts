// Keeps long-lived connections (the live and terminal WebSockets) in step with their caller's
// rights: on every change of rights that Postgres announces, each open socket's credential is
// looked up again, and a socket whose caller is gone or holds another role is closed. It must
// never leave a socket open on rights the caller no longer has.
import type { CredentialCache, Principal } from '../auth/index.js';

/** The part of a WebSocket the watch needs. */
export interface WatchedSocket {
  readonly readyState: number;
  readonly OPEN: number;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): void;
}

export interface RightsWatch {
  /** Watches `socket` until it closes. */
  watch(socket: WatchedSocket, principal: Principal): void;
  close(): void;
}

export interface RightsWatchOptions {
  credentials: CredentialCache;
  /** While Postgres notifications are down, every socket is re-checked at this interval. */
  pollMs?: number;
}

/** Closes with 4001 a socket whose credential no longer authenticates, with 4003 on a new role. */
export function createRightsWatch(options: RightsWatchOptions): RightsWatch {
  const { credentials, pollMs = 15_000 } = options;
  const checks = new Set<() => void>();
  // The sockets of one credential share one lookup per change: a thousand sockets of one key
  // cost one query, and each lookup starts after the change it answers.
  let lookups = new Map<string, Promise<Principal | null>>();
  const currentOf = (principal: Principal) => {
    let lookup = lookups.get(principal.credentialId);
    if (!lookup) {
      lookup = credentials.refresh(principal);
      lookups.set(principal.credentialId, lookup);
    }
    return lookup;
  };
  const checkAll = () => {
    lookups = new Map();
    for (const check of checks) check();
  };
  const stopListening = credentials.onChange(checkAll);
  const poll = setInterval(() => {
    // Without notifications no change is heard of: ask on every interval instead.
    if (!credentials.isListening()) checkAll();
  }, pollMs);
  poll.unref();

  return {
    watch(socket, principal) {
      let isChecking = false;
      let isCheckWanted = false;
      const check = () => {
        isCheckWanted = true;
        if (isChecking) return;
        isChecking = true;
        void (async () => {
          while (isCheckWanted && socket.readyState === socket.OPEN) {
            isCheckWanted = false;
            const current = await currentOf(principal);
            if (!current) {
              return socket.close(4001, 'Your credentials no longer authenticate: sign in again.');
            }
            if (current.role !== principal.role) {
              return socket.close(4003, `Your role is now ${current.role}: reconnect to go on.`);
            }
          }
        })()
          .catch(() => socket.close(1011, 'Your rights could not be re-checked: reconnect.'))
          .finally(() => (isChecking = false));
      };
      checks.add(check);
      socket.on('close', () => checks.delete(check));
    },
    close() {
      stopListening();
      clearInterval(poll);
      checks.clear();
    },
  };
}
