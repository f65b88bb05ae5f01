// sandbox.networkAllow: which entries the setting and its environment variable accept.
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { Config } from './schema.js';

describe('sandbox.networkAllow', () => {
  it('takes IPv4 addresses and CIDRs, and is empty by default', () => {
    expect(Config.parse({}).sandbox.networkAllow).toEqual([]);
    const config = Config.parse({ sandbox: { networkAllow: ['10.1.2.3', '192.168.50.0/24'] } });
    expect(config.sandbox.networkAllow).toEqual(['10.1.2.3', '192.168.50.0/24']);
  });

  it('refuses anything else, naming the setting', () => {
    for (const entry of [
      'fe80::1',
      '10.1.2',
      '0x7f.1',
      '10.0.0.0/33',
      'example.com',
      '1.2.3.4/8/1',
    ]) {
      const result = Config.safeParse({ sandbox: { networkAllow: [entry] } });
      expect(result.success, entry).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain('networkAllow');
    }
  });
});

describe('CADRE_SANDBOX_NETWORK_ALLOW', () => {
  const cwd = '/nonexistent-cadre-config-dir';

  it('reads a comma- or space-separated list', () => {
    const { config } = loadConfig({
      env: { CADRE_SANDBOX_NETWORK_ALLOW: '10.1.2.3, 192.168.50.0/24 172.16.0.9' },
      cwd,
    });
    expect(config.sandbox.networkAllow).toEqual(['10.1.2.3', '192.168.50.0/24', '172.16.0.9']);
  });

  it('refuses a bad entry with CONFIG_INVALID naming the variable', () => {
    expect(() =>
      loadConfig({ env: { CADRE_SANDBOX_NETWORK_ALLOW: '10.1.2.3,fe80::1' }, cwd }),
    ).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('CADRE_SANDBOX_NETWORK_ALLOW'),
      }),
    );
  });
});
