// Hides secrets before a configuration is shown: keys, passwords and credentials in URLs.

const secretKey = /(apikey|password|secret|token|masterkey)$/i;

/** A deep copy of `value` with every secret replaced by "[redacted]". */
export function redactSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (secretKey.test(key)) return '[redacted]';
    // Up to the last "@": a password may itself hold "@" or "/"; hiding too much beats a leak.
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:).*@/i, '$1[redacted]@');
  }
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name, redactSecrets(item, name)]),
    );
  }
  return value;
}
