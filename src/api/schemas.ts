// The HTTP contract: one zod schema per concept, shared by the routes (validation and the
// OpenAPI document), the CLI and the web app.
import { z } from 'zod';
// The files themselves, not the modules' indexes: the web app bundles this contract.
import { agentStatuses } from '../orchestrator/agent-status.js';
import { taskStatuses } from '../orchestrator/task-status.js';
import { TaskDelivery } from './contract/deliveries.js';
import { Id, Timestamp } from './contract/primitives.js';
import { AllowUntestedMergeSetting, TestCommandSetting } from './contract/projects.js';
import {
  BranchName,
  CredentialInput,
  DeliveryInput,
  ProjectRemoteFields,
  RepositorySourceInput,
} from './contract/project-repository.js';
import { Progress, StepKind, StepStatus } from './contract/steps.js';

// The concepts that have a file of their own in ./contract/, named here so that one import
// serves the routes, the CLI and the web app.
export {
  Approval,
  ApprovalDecision,
  ApprovalList,
  ApprovalQuery,
  ApprovalStatus,
} from './contract/approvals.js';
export { Budget, BudgetList, BudgetPeriod, BudgetScope, BudgetSet } from './contract/budgets.js';
export {
  BreakerState,
  Model,
  ModelList,
  ModelListQuery,
  Provider,
  ProviderCalls,
  ProviderDiscovery,
  ProviderLastError,
  ProviderList,
} from './contract/models.js';
export { describeDelivery, TaskDelivery } from './contract/deliveries.js';
export { Id, IdParams, Timestamp } from './contract/primitives.js';
export { AllowUntestedMergeSetting, TestCommandSetting } from './contract/projects.js';
export {
  BranchName,
  CredentialInput,
  DeliveryMode,
  HostKind,
  RepositorySourceInput,
} from './contract/project-repository.js';
export { SpendQuery, SpendReport, SpendRow } from './contract/spend.js';
export {
  AttemptError,
  Progress,
  Step,
  StepKind,
  StepList,
  StepStatus,
  Transcript,
  TranscriptEntry,
} from './contract/steps.js';

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
    requestId: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export const Health = z.object({ status: z.literal('ok'), version: z.string() });
export type Health = z.infer<typeof Health>;

export const DependencyState = z.object({
  status: z.enum(['up', 'down']),
  kind: z.string().optional(),
  reason: z.string().optional(),
  latencyMs: z.number().optional(),
});
export type DependencyState = z.infer<typeof DependencyState>;

/** /readyz: ready when every dependency the process needs is up. */
export const Readiness = z.object({
  status: z.literal('ok'),
  version: z.string(),
  dependencies: z.record(z.string(), DependencyState),
});
export type Readiness = z.infer<typeof Readiness>;

export const Project = z.object({
  id: Id,
  name: z.string(),
  description: z.string(),
  isConfidential: z.boolean(),
  hasNetwork: z.boolean(),
  /** The command Cadre runs before each merge; null: detected from the repository. */
  testCommand: TestCommandSetting,
  allowUntestedMerge: AllowUntestedMergeSetting,
  ...ProjectRemoteFields,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /**
   * Cadre's own repository of the project over git smart HTTP, read-only: `git clone` it with
   * an API key (projects:read) as the password.
   */
  cloneUrl: z.string(),
});
export type Project = z.infer<typeof Project>;

const ProjectName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

const ProjectSettings = {
  description: z.string().max(10_000).optional(),
  isConfidential: z.boolean().optional(),
  hasNetwork: z.boolean().optional(),
  testCommand: TestCommandSetting.optional(),
  allowUntestedMerge: AllowUntestedMergeSetting.optional(),
  ...DeliveryInput,
};

export const ProjectCreate = z.strictObject({
  name: ProjectName,
  ...ProjectSettings,
  /** Clone the project's repository from a git URL (its upstream) or import a server folder. */
  repository: RepositorySourceInput.optional(),
  /** The upstream branch to start from and deliver to; default: the upstream's default branch. */
  branch: BranchName.optional(),
  /** Write-only: how Cadre authenticates to the upstream. */
  credential: CredentialInput.optional(),
});
export type ProjectCreate = z.infer<typeof ProjectCreate>;

export const ProjectUpdate = z
  .strictObject({
    name: ProjectName.optional(),
    ...ProjectSettings,
    remoteBranch: BranchName.optional(),
    /** Write-only: replaces the upstream credential; null removes it. */
    credential: CredentialInput.nullable().optional(),
  })
  .refine((value) => Object.keys(value).length > 0, {
    message: 'give at least one field to change',
  });
export type ProjectUpdate = z.infer<typeof ProjectUpdate>;

export const TaskStatus = z.enum(taskStatuses);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const Task = z.object({
  id: Id,
  projectId: Id,
  title: z.string(),
  description: z.string(),
  status: TaskStatus,
  priority: z.number().int(),
  budgetUsd: z.number().nullable(),
  error: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  progress: Progress,
  sprintId: Id.nullable(),
  dependsOn: z.array(Id),
  /** Which run of the task this is: 1, then one more with each retry. */
  attempt: z.number().int(),
  /** Where the task's result went; null until it was delivered. */
  delivery: TaskDelivery.nullable(),
});
export type Task = z.infer<typeof Task>;

export const TaskRetry = z.strictObject({
  /** The key of the step to run again, with every step that depends on it. */
  fromStep: z.string().trim().min(1).max(200).optional(),
  /** Plan again from the start, on a fresh branch from the base. */
  fromStart: z.boolean().optional(),
  /** A new description, used from this attempt on. */
  description: z.string().trim().min(1, 'must not be empty').max(20_000).optional(),
});
export type TaskRetry = z.infer<typeof TaskRetry>;

export const TaskCreate = z.strictObject({
  projectId: Id,
  description: z.string().trim().min(1, 'must not be empty').max(20_000),
  title: z.string().trim().min(1).max(200).optional(),
  priority: z.number().int().min(-100).max(100).optional(),
  budgetUsd: z.number().positive().max(1_000_000).optional(),
});
export type TaskCreate = z.infer<typeof TaskCreate>;

export const TaskListQuery = z.strictObject({
  projectId: Id.optional(),
  /** One status or several, comma-separated. */
  status: z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(z.array(TaskStatus))
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const TaskPage = z.object({ items: z.array(Task), nextCursor: z.string().nullable() });
export type TaskPage = z.infer<typeof TaskPage>;

export const Role = z.enum(['owner', 'admin', 'member', 'viewer']);

export const SignInRequest = z.strictObject({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1000),
  /** A browser: hold the session in an httpOnly cookie and answer its CSRF token, not the token. */
  cookie: z.boolean().default(false),
});
export const SignInResponse = z.union([
  z.object({ token: z.string(), expiresAt: Timestamp }),
  z.object({ csrfToken: z.string(), expiresAt: Timestamp }),
]);

/** The browser session a request is made in; never its credential, which page scripts must not see. */
export const BrowserSession = z.object({
  credential: z.enum(['api-key', 'session']),
  /** The API key signed in with, for a key session. */
  apiKeyId: Id.nullable(),
  /** Send it as "x-csrf-token" on every unsafe request; null when the request used a bearer token. */
  csrfToken: z.string().nullable(),
});
export type BrowserSession = z.infer<typeof BrowserSession>;

export const PasswordChange = z.strictObject({
  password: z.string().min(12, 'must be at least 12 characters').max(1000),
  /** Required when the user has a password already. */
  currentPassword: z.string().min(1).max(1000).optional(),
});

export const Me = z.object({
  orgId: Id,
  role: Role,
  credential: z.enum(['api-key', 'session']),
  user: z
    .object({ id: Id, email: z.string(), name: z.string(), hasPassword: z.boolean() })
    .nullable(),
});

export const ApiKey = z.object({
  id: Id,
  name: z.string(),
  prefix: z.string(),
  role: Role,
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
});
export const ApiKeyCreate = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: Role.default('member'),
  expiresAt: Timestamp.refine(
    (value) => Date.parse(value) > Date.now(),
    'must be in the future',
  ).optional(),
});
export const ApiKeyCreated = ApiKey.extend({ key: z.string() });

export const TaskEvent = z.object({
  taskId: Id,
  seq: z.number().int(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
});
export type TaskEvent = z.infer<typeof TaskEvent>;

export const EventsQuery = z.strictObject({
  /** The last sequence number the caller has seen; 0 for all. */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const AgentStatus = z.enum(agentStatuses);
export type AgentStatus = z.infer<typeof AgentStatus>;

export const Agent = z.object({
  id: Id,
  role: z.string(),
  name: z.string(),
  status: AgentStatus,
  /** False when it is working but has not shown life for three worker heartbeats (9 s). */
  isHealthy: z.boolean(),
  workerId: z.string().nullable(),
  currentStepId: Id.nullable(),
  heartbeatAt: Timestamp.nullable(),
  /** What it is on, in words: the step's key and its task's title; null when idle. */
  activity: z.string().nullable(),
  step: z
    .object({ key: z.string(), taskId: Id, taskTitle: z.string(), goal: z.string() })
    .nullable(),
  createdAt: Timestamp,
});
export type Agent = z.infer<typeof Agent>;

export const AgentList = z.object({ items: z.array(Agent) });

/** A step an agent ran (its latest attempt). */
export const AgentStepRun = z.object({
  stepId: Id,
  key: z.string(),
  kind: StepKind,
  role: z.string(),
  status: StepStatus,
  taskId: Id,
  taskTitle: z.string(),
  startedAt: Timestamp.nullable(),
  /** Null while the step has not ended. */
  finishedAt: Timestamp.nullable(),
  durationMs: z.number().int().nullable(),
});
export type AgentStepRun = z.infer<typeof AgentStepRun>;

/** An agent and the last 20 steps it ran, newest first. */
export const AgentDetail = Agent.extend({ recentSteps: z.array(AgentStepRun) });
export type AgentDetail = z.infer<typeof AgentDetail>;

export const SummaryQuery = z.strictObject({
  /** The charts' window: this many hours, the current one last. */
  hours: z.coerce.number().int().min(1).max(168).default(24),
});

/** One hour of the dashboard's charts; an hour without activity has zeros and nulls. */
export const SummaryHour = z.object({
  /** The hour's start, UTC. */
  hour: Timestamp,
  /** Tasks that ended in the hour (done, failed or cancelled), and the failed among them. */
  tasksFinished: z.number().int(),
  tasksFailed: z.number().int(),
  /** Steps that ran and ended in the hour (done, or failed for good). */
  stepsFinished: z.number().int(),
  /** Those steps' run time, from claim to end: median and 95th percentile; null without any. */
  stepP50Ms: z.number().nullable(),
  stepP95Ms: z.number().nullable(),
  /** Model calls of the hour. */
  costUsd: z.number(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
});
export type SummaryHour = z.infer<typeof SummaryHour>;

/** The dashboard's numbers, for the caller's organization. */
export const Summary = z.object({
  generatedAt: Timestamp,
  hours: z.number().int(),
  /** Tasks not finished yet: queued, planning, running or waiting. */
  runningTasks: z.number().int(),
  tasksByStatus: z.record(TaskStatus, z.number().int()),
  /** Steps ready in the work queue that no worker has claimed yet. */
  queueDepth: z.number().int(),
  agentsByStatus: z.record(AgentStatus, z.number().int()),
  /** Model spend since midnight UTC. */
  spendTodayUsd: z.number(),
  /** One entry per hour of the window, oldest first, every hour present. */
  series: z.array(SummaryHour),
});
export type Summary = z.infer<typeof Summary>;
