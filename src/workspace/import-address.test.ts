import { describe, expect, it } from 'vitest';
import { createImportAllowlist, isHostAllowlisted, refusedRange } from './import-address.js';

describe('import addresses', () => {
  const nothingListed = createImportAllowlist([]);

  it('passes public unicast addresses and names the range of every other', () => {
    expect(refusedRange(nothingListed, '140.82.112.3')).toBeNull();
    expect(refusedRange(nothingListed, '2606:4700::1111')).toBeNull();
    expect(
      Object.fromEntries(
        [
          '127.0.0.1',
          '0.0.0.0',
          '10.0.0.1',
          '172.16.0.1',
          '192.168.1.1',
          '169.254.169.254',
          '100.64.0.1',
          '224.0.0.1',
          '::1',
          '::',
          'fe80::1',
          'fd00:ec2::254',
          '::ffff:127.0.0.1',
          '::ffff:10.0.0.1',
          '64:ff9b::a00:1',
          '2002:7f00:1::1',
        ].map((address) => [address, refusedRange(nothingListed, address)]),
      ),
    ).toEqual({
      '127.0.0.1': 'loopback',
      '0.0.0.0': 'unspecified',
      '10.0.0.1': 'private',
      '172.16.0.1': 'private',
      '192.168.1.1': 'private',
      '169.254.169.254': 'linkLocal',
      '100.64.0.1': 'carrierGradeNat',
      '224.0.0.1': 'multicast',
      '::1': 'loopback',
      '::': 'unspecified',
      'fe80::1': 'linkLocal',
      'fd00:ec2::254': 'uniqueLocal',
      '::ffff:127.0.0.1': 'loopback',
      '::ffff:10.0.0.1': 'private',
      '64:ff9b::a00:1': 'rfc6052',
      '2002:7f00:1::1': '6to4',
    });
  });

  it('lets through exactly what the allowlist names, IPv4-mapped forms included', () => {
    const allowlist = createImportAllowlist([
      '10.20.0.0/16',
      '127.0.0.1',
      'fd12::/16',
      'Git.Internal',
    ]);
    expect(refusedRange(allowlist, '10.20.3.4')).toBeNull();
    expect(refusedRange(allowlist, '::ffff:10.20.3.4')).toBeNull();
    expect(refusedRange(allowlist, '10.21.0.1')).toBe('private');
    expect(refusedRange(allowlist, '127.0.0.1')).toBeNull();
    expect(refusedRange(allowlist, '127.0.0.2')).toBe('loopback');
    expect(refusedRange(allowlist, 'fd12::5')).toBeNull();
    expect(refusedRange(allowlist, 'fd13::5')).toBe('uniqueLocal');
    expect(isHostAllowlisted(allowlist, 'git.internal')).toBe(true);
    expect(isHostAllowlisted(allowlist, 'internal')).toBe(false);
  });
});
