// Picks the client of a project's git host.
import { createGitea } from './gitea.js';
import { createGitHub } from './github.js';
import { createGitLab } from './gitlab.js';
import type { GitHost, GitHostOptions } from './types.js';

const defaultTimeoutMs = 15_000;

/** A client of the git host `kind` for one repository, authenticated by `token`. */
export function createGitHost(options: GitHostOptions): GitHost {
  const full = { timeoutMs: defaultTimeoutMs, ...options };
  if (options.kind === 'github') return createGitHub(full);
  if (options.kind === 'gitlab') return createGitLab(full);
  return createGitea(full);
}
