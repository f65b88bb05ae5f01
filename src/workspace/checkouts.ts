// Throwaway checkouts of one commit, detached from every branch: where Cadre runs a project's
// tests on the exact tree a merge would make, without touching any task's worktree.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from './git.js';
import { checkoutLayout, type ProjectLayout } from './layout.js';

/** A checkout's folder (mounted by the sandbox) and its git admin folder. */
export interface Checkout {
  path: string;
  gitDir: string;
}

/**
 * Checks `commit` out in the checkout named `name`; one left by an interrupted run of the
 * same name is removed first.
 */
export async function createCheckout(
  project: ProjectLayout,
  name: string,
  commit: string,
): Promise<Checkout> {
  const checkout = checkoutLayout(project, name);
  await removeCheckout(project, name);
  await mkdir(join(project.root, 'checkouts'), { recursive: true });
  await runGit({
    gitDir: project.gitDir,
    args: ['worktree', 'add', '--detach', checkout.path, commit],
  });
  return checkout;
}

/** Removes the checkout named `name`, if there is one. */
export async function removeCheckout(project: ProjectLayout, name: string): Promise<void> {
  const checkout = checkoutLayout(project, name);
  await rm(checkout.path, { recursive: true, force: true });
  await runGit({ gitDir: project.gitDir, args: ['worktree', 'prune'] });
}
