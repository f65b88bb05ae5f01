// Helpers for reading settings from environment variables, where every value is a string.
import { z } from 'zod';

/** One environment variable and the configuration key it sets. */
export interface EnvBinding {
  env: string;
  path: readonly string[];
  /** Turns the raw string into the value the schema expects (numbers and booleans). */
  parse?: (raw: string) => unknown;
}

/** Reads "1", "true", "yes" and "on" as true; "0", "false", "no" and "off" as false. */
export function parseEnvBoolean(raw: string): unknown {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  return raw; // left as a string so that the schema reports it
}

/** Reads a whole number, leaving anything else as a string for the schema to report. */
export function parseEnvInteger(raw: string): unknown {
  return /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
}

export const Port = z.number().int().min(0).max(65535);
export const HttpUrl = z.url({ protocol: /^https?$/ });

/** Reads a comma-separated list, dropping blanks: "a, b,," is ["a", "b"]. */
export function parseEnvList(raw: string): unknown {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
