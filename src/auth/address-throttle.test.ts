import { describe, expect, it } from 'vitest';
import { addressKey, createAddressThrottle } from './address-throttle.js';
import { lockoutMs } from './sign-in-backoff.js';

describe('the address throttle', () => {
  it('refuses an address past its failures until its window ends, and no other', () => {
    let now = 1_000_000;
    const throttle = createAddressThrottle({ maxFailures: 3, windowMs: 60_000, now: () => now });
    for (let failure = 1; failure <= 3; failure += 1) {
      expect(throttle.retryAfterMs('192.0.2.1')).toBe(0);
      throttle.recordFailure('192.0.2.1');
    }
    expect(throttle.retryAfterMs('192.0.2.1')).toBe(60_000);
    expect(throttle.retryAfterMs('::ffff:192.0.2.1')).toBe(60_000); // the same client
    expect(throttle.retryAfterMs('192.0.2.2')).toBe(0);
    now += 45_000;
    expect(throttle.retryAfterMs('192.0.2.1')).toBe(15_000);
    now += 15_000;
    expect(throttle.retryAfterMs('192.0.2.1')).toBe(0);
  });

  it('is off at 0, and forgets finished windows when it is full', () => {
    const off = createAddressThrottle({ maxFailures: 0 });
    for (let failure = 1; failure <= 100; failure += 1) off.recordFailure('192.0.2.1');
    expect(off.retryAfterMs('192.0.2.1')).toBe(0);

    let now = 0;
    const small = createAddressThrottle({ maxFailures: 1, maxAddresses: 2, now: () => now });
    small.recordFailure('192.0.2.1');
    now = 60_000;
    small.recordFailure('192.0.2.2');
    small.recordFailure('192.0.2.3'); // the first window is over: it makes room
    expect(small.retryAfterMs('192.0.2.2')).toBeGreaterThan(0);
    expect(small.retryAfterMs('192.0.2.3')).toBeGreaterThan(0);
  });

  it('counts an IPv6 address by its /64', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:ffff::9'));
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('not an address')).toBe('not an address');
  });
});

describe('the sign-in lockout', () => {
  it('starts at the fifth failure and doubles up to its cap', () => {
    expect([1, 4, 5, 6, 7].map((failures) => lockoutMs(failures))).toEqual([
      0, 0, 30_000, 60_000, 120_000,
    ]);
    expect(lockoutMs(50)).toBe(15 * 60_000);
  });
});
