// The workspace module: project repositories, task worktrees, confined file access, diffs and merges.
export { createWorkspaces } from './workspaces.js';
export type {
  Workspaces,
  WorkspacesOptions,
  TaskRef,
  TaskRunOptions,
  RunRecord,
} from './workspaces.js';
export type { RepositorySource, RepositoryInfo, ImportPolicy } from './repository.js';
export type { ResolveHost } from './import-url.js';
export type { TaskWorktree } from './worktrees.js';
export type { TaskDiff, ChangedFile } from './changes.js';
export type { MergeResult } from './merge.js';
export { downloadTimeoutMs } from './downloads.js';
export type { UploadPackRequest } from './downloads.js';
export type { GitProcess } from './git.js';
export type { FileEntry } from './files.js';
export { maxFileBytes } from './files.js';
export { confinePathText } from './paths.js';
export type { ConfinedPath } from './paths.js';
export type { AbsorbedConflict, MergeCandidate } from './merge.js';
export type { CheckoutView } from './workspaces.js';
export { configuredTestCommand, detectTestCommand } from './test-command.js';
export type { TestCommand, TreeReader } from './test-command.js';
export type { TaskBranchStore, ProjectLock } from './coordination.js';
export {
  defaultTokenUsername,
  fetchBranch,
  inspectRemote,
  pushBranch,
  upstreamRef,
} from './remote.js';
export type {
  GitCredential,
  PushOptions,
  RemoteAccess,
  RemoteInfo,
  RemotePolicy,
} from './remote.js';
export { projectLayout } from './layout.js';
export type { ProjectLayout } from './layout.js';
export type { BaseSync } from './upstream.js';
