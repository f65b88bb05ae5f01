// Decides which network addresses a repository import may connect to: public unicast
// addresses, plus what the instance admin allowlists. It must never let a name or an
// IPv4-mapped form reach loopback, private, link-local or metadata addresses unlisted.
import ipaddr from 'ipaddr.js';

/** The hosts, addresses and CIDR blocks an import may reach although they are not public. */
export interface ImportAllowlist {
  hosts: ReadonlySet<string>;
  blocks: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]>;
}

/** Parses allowlist entries (host names, addresses, CIDR blocks) as the config checked them. */
export function createImportAllowlist(entries: readonly string[]): ImportAllowlist {
  const hosts = new Set<string>();
  const blocks: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const entry of entries) {
    const value = entry.trim().toLowerCase();
    if (ipaddr.isValidCIDR(value)) blocks.push(normalizeBlock(ipaddr.parseCIDR(value)));
    else if (ipaddr.isValid(value)) {
      const address = ipaddr.process(value);
      blocks.push([address, address.kind() === 'ipv4' ? 32 : 128]);
    } else hosts.add(value);
  }
  return { hosts, blocks };
}

/** Whether the host name itself was allowlisted by the instance admin. */
export function isHostAllowlisted(allowlist: ImportAllowlist, host: string): boolean {
  return allowlist.hosts.has(host.toLowerCase());
}

/**
 * Why an address may not be reached ("loopback", "private", …), or null when it may: only
 * public unicast addresses pass, unless an allowlisted block holds the address.
 */
export function refusedRange(allowlist: ImportAllowlist, text: string): string | null {
  if (!ipaddr.isValid(text)) return 'invalid';
  // process() turns ::ffff:127.0.0.1 (and ::127.0.0.1) into the IPv4 address it stands for.
  const address = ipaddr.process(text);
  const isListed = allowlist.blocks.some(
    ([block, bits]) => block.kind() === address.kind() && address.match(block, bits),
  );
  if (isListed) return null;
  // Every other range — loopback, private, uniqueLocal, linkLocal, carrierGradeNat, multicast,
  // unspecified, broadcast, reserved, and the IPv6 forms that embed IPv4 (6to4, NAT64,
  // Teredo) — can lead back into the host's networks or the cloud's metadata service.
  const range = address.range();
  return range === 'unicast' ? null : range;
}

function normalizeBlock([block, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]): [
  ipaddr.IPv4 | ipaddr.IPv6,
  number,
] {
  // An allowlisted ::ffff:10.0.0.0/104 matches the IPv4 block it stands for.
  if (block.kind() === 'ipv6' && (block as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(block as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [block, bits];
}
