export {
  appendEvent,
  listEvents,
  recentEvents,
  publishEvents,
  taskTopic,
  cancelChannel,
} from './events.js';
export type { NewEvent, EventRow, PublishedEvent } from './events.js';
export {
  createProject,
  listProjects,
  getProject,
  updateProject,
  deleteProject,
} from './projects.js';
export type { ProjectInput, ProjectRow } from './projects.js';
export { createTask, listTasks, getTask, cancelTask } from './tasks.js';
export { retryTask } from './retry.js';
export type { RetryTaskOptions } from './retry.js';
export { taskStatuses, finishedStatuses } from './task-status.js';
export type { TaskInput, TaskRow, TaskFilter, CreateTaskOptions } from './tasks.js';
export type { TaskStatus } from './task-status.js';
export {
  enqueueSteps,
  claimSteps,
  renewLease,
  completeStep,
  failStep,
  releaseStep,
  sweepExpiredLeases,
  defaultBackoffMs,
  workChannel,
} from './work-queue.js';
export type {
  AfterCommit,
  AttemptError,
  Lease,
  ClaimedStep,
  ClaimOptions,
  FailOptions,
  SweepOptions,
  SweptStep,
} from './work-queue.js';
export { systemClock, queueTime } from './clock.js';
export type { Clock } from './clock.js';
export { createWorker } from './worker.js';
export type { Worker, WorkerOptions, StepHandler, StepOutcome } from './worker.js';
export { validatePlan, Plan, PlanStep } from './plan.js';
export type { PlanValidation } from './plan.js';
export { parseConfigRoles, listRoles, getRole, saveRole, deleteRole } from './roles.js';
export { createCheckpoints } from './checkpoints.js';
export { listApprovals, decideApproval } from './approvals.js';
export type { ApprovalRow, Decision } from './approvals.js';
export {
  startTask,
  emit,
  lockTask,
  setTaskStatus,
  afterPlan,
  afterWork,
  afterGate,
  afterMerge,
  enqueueReady,
  ReviewVerdict,
  TestVerdict,
  maxPlanAttempts,
  maxGateRounds,
} from './transitions.js';
export type { EventSink, StepInput } from './transitions.js';
export { recordDelivery, getDelivery, listDeliveries } from './deliveries.js';
export type { Delivery } from './deliveries.js';
export { createConductor } from './conductor.js';
export type { Conductor, ConductorOptions } from './conductor.js';
export { createOutbox, recordEvents } from './outbox.js';
export type { Outbox } from './outbox.js';
export { createStepContext } from './step-context.js';
export type { StepContext, StepContextOptions } from './step-context.js';
export { createStepHost } from './step-host.js';
export { stepPrompt } from './prompts.js';
export { createRunRecorder } from './run-recorder.js';
export { createMergeLock, createProjectLock, createTaskBranchStore } from './workspace-records.js';
export type { MergeLock } from './workspace-records.js';
export {
  loadProjectRemote,
  secretKindsByProject,
  storeProjectCredential,
} from './project-remote.js';
export {
  agentStarted,
  agentHeartbeat,
  agentFinished,
  agentsStopped,
  agentTopic,
  markStuckAgents,
  listAgents,
  getAgent,
  listAgentSteps,
  agentStatuses,
  agentSilenceMs,
  defaultHeartbeatMs,
} from './agents.js';
export type { AgentRow, AgentView, AgentStatus, AgentStart, AgentStepRow } from './agents.js';
export {
  listSteps,
  taskProgress,
  countProgress,
  getStep,
  listTranscript,
  progressKinds,
} from './step-views.js';
export type { StepRow, Progress, TranscriptRow } from './step-views.js';
export {
  createSprint,
  listSprints,
  getSprint,
  getSprintView,
  orderByDependencies,
  planTask,
} from './sprints.js';
export type { SprintRow, SprintInput, SprintView, TaskPlanning } from './sprints.js';
export { acceptHostEvent, cadreCommentMarker } from './host-intake.js';
export type { HostEventOptions, IntakeResult, ReviewFeedback } from './host-intake.js';
export {
  findTaskByPullRequest,
  findTasksByIssue,
  getTaskHostLink,
  saveTaskHostLink,
} from './host-links.js';
export type { TaskHostLink } from './host-links.js';
export { loadProjectHost, requireProjectHost } from './project-host.js';
export { deliverPullRequest, deliverPush, pullRequestBranch } from './deliver.js';
export type { DeliveryServices, PullRequestDelivery } from './deliver.js';
export { startHostNotifier } from './host-notices.js';
export type { HostNotifierOptions } from './host-notices.js';
export { taskPageUrl } from './pull-request-body.js';
export { changeProject, createProjectWithRepository, stripUserInfo } from './project-repository.js';
export type {
  CredentialChange,
  DeliveryChange,
  NewProject,
  ProjectChange,
  ProjectServices,
} from './project-repository.js';
export { checkDelivery, guessHost } from './project-delivery.js';
