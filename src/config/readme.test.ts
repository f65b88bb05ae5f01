import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envBindings } from './schema.js';

/** A row of the README's configuration table, whatever its padding. */
const row = (env: string, key: string) =>
  new RegExp(`\\|\\s*\`${env}\`\\s*\\|\\s*\`${key.replaceAll('.', '\\.')}\`\\s*\\|`);

describe('the README', () => {
  it('documents every environment variable Cadre reads, with its key', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = envBindings.filter(
      (binding) => !row(binding.env, binding.path.join('.')).test(readme),
    );
    expect(missing.map((binding) => binding.env)).toEqual([]);
  });
});
