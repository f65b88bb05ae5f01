// Counts the live WebSockets each key or session holds open on this API node, and refuses one
// more past the limit with LIVE_SOCKET_LIMIT. Per node: sockets held on other nodes are not seen.
import type { Principal } from '../auth/index.js';
import { CadreError } from '../errors/index.js';

/** Open live sockets per key or session on this node. */
export function createSocketCounts(limit: number) {
  const counts = new Map<string, number>();
  const limitMessage = () =>
    `This key or session already holds ${limit} live WebSockets, the most allowed: close one first.`;
  return {
    limitMessage,
    refuseWhenFull(principal: Principal) {
      if ((counts.get(principal.credentialId) ?? 0) >= limit) {
        throw new CadreError('LIVE_SOCKET_LIMIT', limitMessage(), { details: { limit } });
      }
    },
    add(principal: Principal): boolean {
      const count = counts.get(principal.credentialId) ?? 0;
      if (count >= limit) return false;
      counts.set(principal.credentialId, count + 1);
      return true;
    },
    remove(principal: Principal) {
      const count = (counts.get(principal.credentialId) ?? 1) - 1;
      if (count > 0) counts.set(principal.credentialId, count);
      else counts.delete(principal.credentialId);
    },
  };
}
