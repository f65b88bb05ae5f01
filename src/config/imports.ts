// Settings that confine repository imports: which server folders may be imported and which
// hosts or networks a git URL may reach beyond the public internet. Checking happens in
// src/workspace/; this file only describes and validates the settings.
import { isAbsolute } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseEnvList, type EnvBinding } from './env.js';

const hostnamePattern =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name, an IP address or a CIDR block that imports may reach although it is not public. */
export const ImportAllowedHost = z
  .string()
  .trim()
  .refine(
    (value) => hostnamePattern.test(value) || ipaddr.isValid(value) || ipaddr.isValidCIDR(value),
    'expected a host name, an IP address or a CIDR block such as 10.1.0.0/16',
  );

export const ImportsConfig = z.strictObject({
  /** Server folders whose repositories owners and admins may import; empty turns local import off. */
  roots: z.array(z.string().refine(isAbsolute, 'expected an absolute path')).default([]),
  /** Hosts and networks a git URL may reach although they are loopback, private or link-local. */
  allowHosts: z.array(ImportAllowedHost).default([]),
});
export type ImportsConfig = z.infer<typeof ImportsConfig>;

export const importsEnv: EnvBinding[] = [
  { env: 'CADRE_IMPORT_ROOTS', path: ['imports', 'roots'], parse: parseEnvList },
  { env: 'CADRE_IMPORT_ALLOW_HOSTS', path: ['imports', 'allowHosts'], parse: parseEnvList },
];
