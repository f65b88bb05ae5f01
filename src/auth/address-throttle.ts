// Counts invalid credentials per client address, in memory, so that guessing keys or passwords
// is throttled before any database lookup. It never touches the database: a throttled address
// is refused from memory alone.
import ipaddr from 'ipaddr.js';

export interface AddressThrottle {
  /** Milliseconds until `address` may present unknown credentials again; 0 when it may now. */
  retryAfterMs(address: string): number;
  /** Counts one invalid credential (unknown token, malformed token, wrong password). */
  recordFailure(address: string): void;
}

export interface AddressThrottleOptions {
  /** Invalid credentials one address may present per window; 0 turns the throttle off. */
  maxFailures: number;
  windowMs?: number;
  now?: () => number;
  /** Addresses remembered at most; beyond it, finished windows are forgotten first. */
  maxAddresses?: number;
}

/** A fixed-window counter per address (an IPv6 address counts for its /64). */
export function createAddressThrottle(options: AddressThrottleOptions): AddressThrottle {
  const { maxFailures, windowMs = 60_000, now = Date.now, maxAddresses = 100_000 } = options;
  const windows = new Map<string, { startedAt: number; failures: number }>();
  const current = (key: string) => {
    const window = windows.get(key);
    return window && now() - window.startedAt < windowMs ? window : null;
  };
  const forgetFinished = () => {
    for (const [key, window] of windows) {
      if (now() - window.startedAt >= windowMs) windows.delete(key);
    }
    if (windows.size >= maxAddresses) windows.clear();
  };
  return {
    retryAfterMs(address) {
      if (maxFailures === 0) return 0;
      const window = current(addressKey(address));
      if (!window || window.failures < maxFailures) return 0;
      return window.startedAt + windowMs - now();
    },
    recordFailure(address) {
      if (maxFailures === 0) return;
      const key = addressKey(address);
      const window = current(key);
      if (window) {
        window.failures += 1;
        return;
      }
      if (windows.size >= maxAddresses) forgetFinished();
      windows.set(key, { startedAt: now(), failures: 1 });
    },
  };
}

/** The unit an address is counted in: itself for IPv4, its /64 for IPv6. */
export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}
