import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CadreError } from '../errors/index.js';
import { createSecretBox } from './secrets.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('opens what it sealed, and the sealed bytes hold no trace of the value', () => {
    const sealed = box.seal('ghp_top-secret-token', 'project:a:b:git-token');
    expect(sealed.includes(Buffer.from('top-secret'))).toBe(false);
    expect(box.open(sealed, 'project:a:b:git-token')).toBe('ghp_top-secret-token');
  });

  it('seals the same value differently each time', () => {
    expect(box.seal('x', 'c').equals(box.seal('x', 'c'))).toBe(false);
  });

  it('refuses a value moved to another context, changed, or opened under another key', () => {
    const sealed = box.seal('value', 'project:a:b:git-token');
    const unreadable = { code: 'SECRET_UNREADABLE' } satisfies Partial<CadreError>;
    expect(() => box.open(sealed, 'project:a:c:git-token')).toThrow(
      expect.objectContaining(unreadable),
    );
    const changed = Buffer.from(sealed);
    changed[changed.length - 1]! ^= 1;
    expect(() => box.open(changed, 'project:a:b:git-token')).toThrow(
      expect.objectContaining(unreadable),
    );
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'project:a:b:git-token')).toThrow(
      expect.objectContaining(unreadable),
    );
  });
});
