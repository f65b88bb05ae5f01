// The nftables ruleset loaded into a networked sandbox's own network namespace before its
// command starts. The command holds no capability there, so it cannot change the rules.
// Every value in the text is an address Cadre computed or an admin's checked CIDR.
import { slirpNetwork } from './egress-addresses.js';

export interface EgressRulesOptions {
  /** CIDRs let through although they are blocked (the admin's sandbox.networkAllow). */
  allow: readonly string[];
  /** CIDRs refused: the non-public ranges and the host's own addresses. */
  block: readonly string[];
}

/**
 * Outgoing traffic: the sandbox's own loopback, DNS to slirp's resolver, then the allowlist;
 * the blocked ranges are refused at once (a clear error, not a wait); the rest of IPv4 goes
 * out through slirp4netns. IPv6 has no route out and is refused too.
 */
export function egressRules(options: EgressRulesOptions): string {
  const lines = [
    'table inet cadre_egress {',
    `  set blocked { type ipv4_addr; flags interval; auto-merge; elements = { ${options.block.join(', ')} } }`,
  ];
  if (options.allow.length > 0) {
    lines.push(
      `  set allowed { type ipv4_addr; flags interval; auto-merge; elements = { ${options.allow.join(', ')} } }`,
    );
  }
  lines.push(
    '  chain output {',
    '    type filter hook output priority 0; policy drop;',
    '    oifname "lo" accept',
    `    ip daddr ${slirpNetwork.resolver} udp dport 53 accept`,
    `    ip daddr ${slirpNetwork.resolver} tcp dport 53 accept`,
  );
  if (options.allow.length > 0) lines.push('    ip daddr @allowed accept');
  lines.push(
    '    meta l4proto tcp ip daddr @blocked reject with tcp reset',
    '    ip daddr @blocked reject with icmp type admin-prohibited',
    '    meta nfproto ipv4 accept',
    '    meta l4proto tcp reject with tcp reset',
    '    reject with icmpx type admin-prohibited',
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}
