// The core tables. The SQL that creates them is in ../migrations; a test checks that the two
// agree. Every tenant-owned table carries org_id.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/** Raw bytes (Postgres bytea) as a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

const id = () => uuid('id').primaryKey().defaultRandom();
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();
const orgId = () =>
  uuid('org_id')
    .notNull()
    .references(() => organizations.id, { onDelete: 'cascade' });

export const organizations = pgTable('organizations', {
  id: id(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  createdAt: createdAt(),
});

export const users = pgTable('users', {
  id: id(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash'),
  createdAt: createdAt(),
});

export const memberships = pgTable(
  'memberships',
  {
    orgId: orgId(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.userId] })],
);

export const apiKeys = pgTable('api_keys', {
  id: id(),
  orgId: orgId(),
  userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  role: text('role').notNull(),
  createdAt: createdAt(),
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

export const sessions = pgTable('sessions', {
  id: id(),
  orgId: orgId(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

/** Failed password sign-ins per email, for the per-account backoff (src/auth/sign-in-backoff.ts). */
export const signInFailures = pgTable('sign_in_failures', {
  email: text('email').primaryKey(),
  failures: integer('failures').notNull().default(0),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastFailedAt: timestamp('last_failed_at', { withTimezone: true }),
});

export const projects = pgTable('projects', {
  id: id(),
  orgId: orgId(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  /** A confidential project never sends anything to a cloud model. */
  isConfidential: boolean('is_confidential').notNull().default(false),
  hasNetwork: boolean('has_network').notNull().default(false),
  approveBeforeMerge: boolean('approve_before_merge').notNull().default(false),
  approveNetworkCommands: boolean('approve_network_commands').notNull().default(true),
  /** The command that runs the project's tests before a merge; null: detected from the repository. */
  testCommand: text('test_command'),
  /** Whether a merge may go ahead unverified when no test command is set or detected. */
  allowUntestedMerge: boolean('allow_untested_merge').notNull().default(false),
  /** The upstream repository on a git host (never with a credential in it); null: Cadre's own. */
  remoteUrl: text('remote_url'),
  /** The upstream branch tasks start from and deliver to; null: the repository's default. */
  remoteBranch: text('remote_branch'),
  /** Where a finished task's work goes. */
  deliveryMode: text('delivery_mode', { enum: ['pull-request', 'push', 'local'] })
    .notNull()
    .default('local'),
  /** The remote branch the push mode writes; null: the remote branch. */
  pushBranch: text('push_branch'),
  /** The git host's kind, its REST API and the repository on it (owner/name, or a GitLab path). */
  hostKind: text('host_kind', { enum: ['github', 'gitlab', 'gitea'] }),
  hostApiUrl: text('host_api_url'),
  hostRepository: text('host_repository'),
  /** The issue label that hands an issue to Cadre as a task. */
  hostIntakeLabel: text('host_intake_label').notNull().default('cadre'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A project's secret, envelope-encrypted (see src/auth/secrets.ts); never returned by the API. */
export const projectSecrets = pgTable(
  'project_secrets',
  {
    id: id(),
    orgId: orgId(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    kind: text('kind', {
      enum: ['git-token', 'ssh-key', 'host-token', 'webhook-secret'],
    }).notNull(),
    sealed: bytea('sealed').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [unique().on(table.projectId, table.kind)],
);

export const tasks = pgTable('tasks', {
  id: id(),
  orgId: orgId(),
  projectId: uuid('project_id')
    .notNull()
    .references(() => projects.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  description: text('description').notNull(),
  status: text('status').notNull().default('queued'),
  priority: integer('priority').notNull().default(0),
  plan: jsonb('plan'),
  budgetUsd: numeric('budget_usd', { precision: 12, scale: 4 }),
  error: text('error'),
  /** Which run of the task this is: 1, then one more with every retry. */
  attempt: integer('attempt').notNull().default(1),
  /** The last event sequence number handed out for this task. */
  eventSeq: integer('event_seq').notNull().default(0),
  createdBy: uuid('created_by'),
  /** The sprint the task is planned in (sprints.id; the reference is in the migration). */
  sprintId: uuid('sprint_id'),
  /** The tasks of the same organization this one waits for. */
  dependsOn: uuid('depends_on')
    .array()
    .notNull()
    .default(sql`'{}'::uuid[]`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

export const steps = pgTable('steps', {
  id: id(),
  orgId: orgId(),
  taskId: uuid('task_id')
    .notNull()
    .references(() => tasks.id, { onDelete: 'cascade' }),
  key: text('key').notNull(),
  kind: text('kind').notNull().default('work'),
  round: integer('round').notNull().default(0),
  /** The task's attempt that made the row (see tasks.attempt). */
  attempt: integer('attempt').notNull().default(1),
  role: text('role').notNull(),
  goal: text('goal').notNull(),
  acceptance: jsonb('acceptance')
    .notNull()
    .default(sql`'[]'::jsonb`),
  dependsOn: text('depends_on')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  status: text('status').notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  maxAttempts: integer('max_attempts').notNull().default(3),
  /** Attempts that ended in an error (a worker that died is not one: see leaseExpiries). */
  failures: integer('failures').notNull().default(0),
  /** Leases that expired because the step's worker died or hung. */
  leaseExpiries: integer('lease_expiries').notNull().default(0),
  maxLeaseExpiries: integer('max_lease_expiries').notNull().default(5),
  /** Every failed attempt and expired lease, oldest first (see AttemptError). */
  attemptErrors: jsonb('attempt_errors')
    .notNull()
    .default(sql`'[]'::jsonb`),
  leaseToken: bigint('lease_token', { mode: 'number' }).notNull().default(0),
  leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
  workerId: text('worker_id'),
  runAfter: timestamp('run_after', { withTimezone: true }).notNull().defaultNow(),
  priority: integer('priority').notNull().default(0),
  enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
  claimedAt: timestamp('claimed_at', { withTimezone: true }),
  /** The agent that ran the step's latest attempt. */
  agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'set null' }),
  result: jsonb('result'),
  error: text('error'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const agents = pgTable('agents', {
  id: id(),
  orgId: orgId(),
  role: text('role').notNull(),
  name: text('name').notNull(),
  status: text('status').notNull().default('idle'),
  currentStepId: uuid('current_step_id'),
  heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
  /** The worker process the agent runs in. */
  workerId: text('worker_id'),
  createdAt: createdAt(),
});

export const events = pgTable(
  'events',
  {
    orgId: orgId(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    data: jsonb('data')
      .notNull()
      .default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.taskId, table.seq] })],
);

export const llmCalls = pgTable('llm_calls', {
  id: id(),
  orgId: orgId(),
  projectId: uuid('project_id'),
  taskId: uuid('task_id'),
  stepId: uuid('step_id'),
  agentId: uuid('agent_id'),
  provider: text('provider').notNull(),
  model: text('model').notNull(),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  cachedTokens: integer('cached_tokens').notNull().default(0),
  costUsd: numeric('cost_usd', { precision: 14, scale: 8 }).notNull().default('0'),
  latencyMs: integer('latency_ms').notNull().default(0),
  status: text('status').notNull(),
  errorCode: text('error_code'),
  errorMessage: text('error_message'),
  routeReason: text('route_reason'),
  isCacheHit: boolean('is_cache_hit').notNull().default(false),
  createdAt: createdAt(),
});

export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  orgId: orgId(),
  actorType: text('actor_type').notNull(),
  actorId: text('actor_id'),
  action: text('action').notNull(),
  targetType: text('target_type'),
  targetId: text('target_id'),
  data: jsonb('data')
    .notNull()
    .default(sql`'{}'::jsonb`),
  requestId: text('request_id'),
  createdAt: createdAt(),
});
