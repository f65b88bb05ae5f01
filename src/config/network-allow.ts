// The shape of sandbox.networkAllow: IPv4 addresses or CIDRs an admin lets networked
// sandboxes reach although they are private or belong to the host.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** Whether `text` is an IPv4 address in dotted decimal or an IPv4 CIDR (a.b.c.d/n). */
export function isIpv4AddressOrCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.trim().split('/');
  if (rest.length > 0 || !ipaddr.IPv4.isValidFourPartDecimal(address)) return false;
  return prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32);
}

/** One allowlist entry; networked sandboxes are IPv4-only, so IPv6 entries are refused. */
export const NetworkAllowEntry = z.string().refine(isIpv4AddressOrCidr, {
  message: 'give an IPv4 address (198.51.100.7) or CIDR (198.51.100.0/24)',
});

/** Reads a comma- or space-separated list; an empty string is an empty list. */
export function parseEnvAddressList(raw: string): unknown {
  return raw.split(/[\s,]+/).filter(Boolean);
}
