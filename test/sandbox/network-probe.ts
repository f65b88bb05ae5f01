// A shell script that tries a TCP connection to each address:port it is given, from inside
// the sandbox, and prints one line per target: "<target> ok <first line>" or "<target> fail".
// parseProbe turns that output into a map.

/** The script; its arguments are the targets. */
export const probeScript = [
  'for target in "$@"; do',
  '  host=${target%:*}; port=${target##*:}',
  '  if line=$(timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1" && IFS= read -r -t 2 line <&3 && echo "$line"\' "$host" "$port" 2>/dev/null); then',
  '    echo "$target ok $line"',
  '  else',
  '    echo "$target fail"',
  '  fi',
  'done',
].join('\n');

/** The argv that probes `targets`. */
export function probeArgv(targets: readonly string[]): string[] {
  return ['/bin/bash', '-c', probeScript, 'probe', ...targets];
}

/** target → what answered ("far 198.51.100.2"), or null when nothing could be reached. */
export function parseProbe(output: string): Record<string, string | null> {
  const results: Record<string, string | null> = {};
  for (const line of output.split(/\r?\n/)) {
    const match = /^(\S+:\d+) (ok|fail)(?: (.*))?$/.exec(line.trim());
    if (match) results[match[1]!] = match[2] === 'ok' ? (match[3] ?? '') : null;
  }
  return results;
}

/**
 * A script that sends one DNS query (A example.com) over UDP to $1 port 53 and prints
 * "answered" when any reply comes back (NXDOMAIN included), else "silent".
 */
export const dnsProbeScript = [
  'exec 3<>"/dev/udp/$1/53" || { echo silent; exit 0; }',
  "printf '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x07example\\x03com\\x00\\x00\\x01\\x00\\x01' >&3",
  'reply=$(timeout 3 head -c 2 <&3 | od -An -tx1 | tr -d " \\n")',
  'if [ "$reply" = 1234 ]; then echo answered; else echo silent; fi',
].join('\n');
