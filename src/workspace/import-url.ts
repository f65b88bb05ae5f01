// Checks a git URL before Cadre clones from it: only https, http and ssh, a host that resolves
// to addresses imports may reach, and git settings that pin the connection to the checked
// address. It must never echo the URL (it may hold a password) or let DNS answer twice.
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { CadreError } from '../errors/index.js';
import { isHostAllowlisted, refusedRange, type ImportAllowlist } from './import-address.js';

/** Resolves a host name to its addresses; injected so that tests can answer for any name. */
export type ResolveHost = (host: string) => Promise<string[]>;

/** What git needs to clone from a checked URL: the URL and the settings that pin it. */
export interface PinnedUrl {
  url: string;
  /** git configuration (key, value) that applies to the clone only. */
  gitConfig: Array<[string, string]>;
}

/** Thrown when the name does not resolve; the caller answers with the uniform import error. */
export class UnreachableSource extends Error {}

export const resolveWithSystem: ResolveHost = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

const hostnamePattern =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const userPattern = /^[A-Za-z0-9._~][A-Za-z0-9._~-]{0,63}$/;
// user@host:path, git's short form of an ssh URL ("host" may be a bracketed IPv6 address).
const scpPattern = /^([^@/:\s]+)@(\[[0-9A-Fa-f:.]+\]|[^@/:[\]\s]+):([^\s]+)$/;
const defaultPorts: Record<string, number> = { 'http:': 80, 'https:': 443, 'ssh:': 22 };

/** Parses, resolves and checks `text`; bad URLs are VALIDATION_FAILED, refused hosts 403. */
export async function pinImportUrl(
  text: string,
  allowlist: ImportAllowlist,
  resolveHost: ResolveHost = resolveWithSystem,
): Promise<PinnedUrl> {
  const target = parseImportUrl(text);
  const addresses = ipaddr.isValid(target.host)
    ? [target.host]
    : await resolveHost(target.host).catch((error: unknown) => {
        throw new UnreachableSource('the host name did not resolve', { cause: error });
      });
  if (addresses.length === 0) throw new UnreachableSource('the host name has no address');
  if (!isHostAllowlisted(allowlist, target.host)) {
    for (const address of addresses) {
      const range = refusedRange(allowlist, address);
      if (range !== null) throw addressRefused(target.host, range);
    }
  }
  const address = ipaddr.process(addresses[0]!).toString();
  const gitConfig: Array<[string, string]> = [
    ['protocol.allow', 'never'],
    [`protocol.${target.scheme}.allow`, 'always'],
    ['http.followRedirects', 'false'],
    // An empty proxy makes curl connect directly whatever the environment says.
    ['http.proxy', ''],
    ['credential.helper', ''],
    // A server that accepts the connection and then sends nothing is given up after a minute.
    ['http.lowSpeedLimit', '1'],
    ['http.lowSpeedTime', '60'],
  ];
  if (target.scheme === 'ssh') {
    gitConfig.push(['ssh.variant', 'ssh'], ['core.sshCommand', sshCommand(target.host, address)]);
  } else if (!ipaddr.isValid(target.host)) {
    const pinned = address.includes(':') ? `[${address}]` : address;
    gitConfig.push(['http.curloptResolve', `${target.host}:${target.port}:${pinned}`]);
  }
  return { url: target.url, gitConfig };
}

interface ImportTarget {
  scheme: 'http' | 'https' | 'ssh';
  /** Lower-case host name, or an IP address without brackets. */
  host: string;
  port: number;
  /** The URL git is given: normalized, so that git and this check read the same host. */
  url: string;
}

function parseImportUrl(text: string): ImportTarget {
  // Control characters and spaces have no place in a URL; they only serve to confuse parsers.
  const hasOddCharacter = [...text].some((character) => {
    const code = character.charCodeAt(0);
    return code <= 0x20 || code === 0x7f || character === '\\' || /\s/.test(character);
  });
  if (hasOddCharacter) throw badUrl('it contains spaces, backslashes or control characters');
  const scp = /:\/\//.test(text) ? null : scpPattern.exec(text);
  if (scp) {
    const [, user, rawHost, path] = scp as unknown as [string, string, string, string];
    const host = checkHost(rawHost.replace(/^\[|\]$/g, ''));
    if (!userPattern.test(user)) throw badUrl('the user name is not valid');
    if (path.startsWith('-')) throw badUrl('the path may not start with "-"');
    return { scheme: 'ssh', host, port: 22, url: text };
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'git') {
    throw badUrl(
      'git:// connections cannot be pinned to a checked address; use https:// or ssh://',
    );
  }
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ssh') {
    throw badUrl('only https://, http://, ssh:// and user@host:path are accepted');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl('it is not a URL');
  }
  const host = checkHost(url.hostname.replace(/^\[|\]$/g, ''));
  const port = url.port ? Number(url.port) : defaultPorts[url.protocol]!;
  if (scheme === 'ssh') {
    if (url.username && !userPattern.test(url.username)) throw badUrl('the user name is not valid');
    if (url.password) throw badUrl('ssh URLs may not hold a password');
    // ssh connects to the pinned HostName whatever host git reads from the URL.
    return { scheme, host, port, url: text };
  }
  // curl is given WHATWG's serialization, so that it reads the very host that was checked.
  return { scheme, host, port, url: url.href };
}

function checkHost(host: string): string {
  const lower = host.toLowerCase();
  if (ipaddr.isValid(lower) && (lower.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(lower))) {
    return lower;
  }
  if (!hostnamePattern.test(lower) || /^[0-9.]+$/.test(lower))
    throw badUrl('the host is not valid');
  return lower;
}

function sshCommand(host: string, address: string): string {
  // Every value is checked (an IP address, a host name of [a-z0-9.-]), so the shell git
  // runs this through sees no metacharacters. No user ssh config may redirect the connection.
  return [
    'ssh',
    '-F /dev/null',
    '-o BatchMode=yes',
    `-o HostName=${address}`,
    `-o HostKeyAlias=${host}`,
    '-o ProxyCommand=none',
    '-o ProxyJump=none',
    '-o ControlMaster=no',
    '-o ControlPath=none',
    '-o CanonicalizeHostname=no',
    '-o PermitLocalCommand=no',
    '-o ConnectTimeout=30',
  ].join(' ');
}

function badUrl(reason: string): CadreError {
  return new CadreError('VALIDATION_FAILED', `source.url: the URL is not accepted: ${reason}.`, {
    details: [{ field: 'source.url', message: reason }],
  });
}

function addressRefused(host: string, range: string): CadreError {
  return new CadreError(
    'WORKSPACE_IMPORT_ADDRESS_REFUSED',
    `source.url: ${host} leads to a ${range} address, which imports may not reach. An instance admin can allow it with CADRE_IMPORT_ALLOW_HOSTS (imports.allowHosts).`,
    { details: { field: 'source.url', host, range } },
  );
}
