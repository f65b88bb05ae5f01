// The addresses a networked sandbox may never reach: the host's loopback, link-local and
// private ranges, slirp4netns' own gateway, and every address of the host's interfaces.
// Only an address an admin allowlists (sandbox.networkAllow) is let through.
import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';

/** The virtual network slirp4netns gives the sandbox (its defaults). */
export const slirpNetwork = {
  /** The sandbox's own address on tap0. */
  guest: '10.0.2.100',
  /** The gateway; slirp4netns maps it to the host's loopback, which we turn off. */
  gateway: '10.0.2.2',
  /** slirp4netns' DNS forwarder: it relays port 53 to the host's configured resolver. */
  resolver: '10.0.2.3',
} as const;

/**
 * IPv4 ranges that are not the public internet (RFC 6890 and friends). Connecting to 0.0.0.0
 * from the host means the host itself, so "this network" is here too. The documentation
 * ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are not: they are never routed.
 */
export const blockedRanges: readonly string[] = [
  '0.0.0.0/8', // "this network"; 0.0.0.0 is the host
  '10.0.0.0/8', // private, and slirp's own 10.0.2.0/24
  '100.64.0.0/10', // carrier-grade NAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, incl. the cloud metadata address 169.254.169.254
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.88.99.0/24', // 6to4 relays
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking, often used inside data centres
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, incl. broadcast 255.255.255.255
];

/** `text` (an address or CIDR that isIpv4AddressOrCidr accepts) as a network in CIDR form: "a.b.c.d/n". */
export function toCidr(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.includes('/')) return `${trimmed}/32`;
  const network = ipaddr.IPv4.networkAddressFromCIDR(trimmed);
  return `${network.toString()}/${trimmed.split('/')[1]}`;
}

/** Every IPv4 address the host's interfaces have right now, as /32 networks. */
export function hostAddresses(): string[] {
  const addresses = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4') addresses.add(`${entry.address}/32`);
    }
  }
  return [...addresses];
}
