// The registry of every error code Cadre answers with. Codes are stable: clients match on
// them, so a code is never renamed or reused. docs/errors.md lists them for users.

export const errorCodes = {
  // The caller's mistakes.
  VALIDATION_FAILED: { status: 400, summary: 'The request does not match the expected shape.' },
  UNAUTHENTICATED: { status: 401, summary: 'No valid API key or session was given.' },
  FORBIDDEN: { status: 403, summary: "The caller's role does not allow this action." },
  CSRF_TOKEN_INVALID: {
    status: 403,
    summary: 'A request signed in by the session cookie lacks its CSRF token.',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    summary: 'A browser session was used from an origin that is not allowed.',
  },
  NOT_FOUND: { status: 404, summary: 'No such object in your organization.' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'The route does not accept this method.' },
  CONFLICT: { status: 409, summary: 'The object changed or already exists.' },
  INVALID_STATE: { status: 409, summary: 'The object is not in a state that allows this.' },
  PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body is larger than the limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body has an unsupported type.' },
  RATE_LIMITED: { status: 429, summary: 'Too many requests; retry after the given delay.' },
  CREDENTIALS_THROTTLED: {
    status: 429,
    summary: 'Too many invalid credentials from this address; retry after the given delay.',
  },
  SIGN_IN_LOCKED: {
    status: 429,
    summary: 'Too many failed sign-ins for this account; retry after the given delay.',
  },
  CURRENT_PASSWORD_REQUIRED: {
    status: 400,
    summary: 'Changing a password that is set needs the current one (currentPassword).',
  },
  CURRENT_PASSWORD_WRONG: { status: 403, summary: 'The current password given is not right.' },
  // Cadre's repositories over git smart HTTP: read-only, smart protocol only.
  GIT_PUSH_REFUSED: {
    status: 403,
    summary: "Cadre's git HTTP endpoint serves clone and fetch only; pushes are refused.",
  },
  GIT_SERVICE_UNSUPPORTED: {
    status: 403,
    summary: "Only git's smart HTTP protocol (git-upload-pack) is served.",
  },
  GIT_TIMED_OUT: {
    status: 504,
    summary: 'A clone, fetch, patch or bundle ran longer than server.gitTimeoutMs allows.',
  },
  LIVE_SOCKET_LIMIT: {
    status: 429,
    summary: 'This key or session has as many live WebSockets open as allowed.',
  },
  LIVE_SUBSCRIPTION_LIMIT: {
    status: 429,
    summary: 'This live WebSocket holds as many subscriptions as allowed.',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    summary: 'The request (its headers or its body) did not arrive within the time limit.',
  },

  // Configuration and start-up.
  CONFIG_INVALID: { status: 500, summary: 'A setting has an invalid value.' },
  CONFIG_FILE_UNREADABLE: { status: 500, summary: 'The configuration file cannot be read.' },
  DATABASE_UNAVAILABLE: { status: 503, summary: 'The database cannot be reached.' },
  EMBEDDED_POSTGRES_FAILED: { status: 500, summary: 'The embedded Postgres server failed.' },
  SECRET_UNREADABLE: {
    status: 500,
    summary: 'A stored secret does not open under the master key it was sealed with.',
  },

  // Models and the gateway.
  LLM_NOT_CONFIGURED: { status: 503, summary: 'No model is configured; see docs/models.md.' },
  LLM_UNKNOWN_MODEL: { status: 400, summary: 'The named model is not in the model registry.' },
  LLM_NO_ELIGIBLE_MODEL: { status: 422, summary: 'No configured model satisfies the policy.' },
  LLM_PRIVACY_VIOLATION: {
    status: 403,
    summary: 'A confidential project may not use a cloud model.',
  },
  LLM_BUDGET_EXCEEDED: { status: 402, summary: 'The call would exceed a spending budget.' },
  LLM_PROVIDER_FAILED: { status: 502, summary: 'Every eligible model failed to answer.' },
  LLM_PROVIDER_UNAVAILABLE: {
    status: 503,
    summary: "The providers' circuit breakers are open; retry later.",
  },
  LLM_TIMEOUT: { status: 504, summary: 'The model did not answer within the time limit.' },
  LLM_STREAM_STALLED: { status: 504, summary: 'The model stopped sending in mid-stream.' },
  LLM_CANCELLED: { status: 499, summary: 'The caller cancelled the model call.' },
  LLM_QUORUM_NOT_REACHED: { status: 502, summary: 'Too few experts answered.' },
  LLM_DEPENDENCY_MISSING: {
    status: 500,
    summary: 'An optional package needed by the configuration is not installed.',
  },
  LLM_SCRIPT_EXHAUSTED: { status: 500, summary: 'A scripted test model ran out of responses.' },

  // Models discovered on an OpenAI-compatible server (OPENAI_BASE_URL).
  LLM_MODEL_DISCOVERY_FAILED: {
    status: 502,
    summary: 'The server behind OPENAI_BASE_URL did not list its models (GET /models).',
  },

  // The message bus.
  BUS_TIMEOUT: { status: 504, summary: 'No answer to a bus request within its timeout.' },
  BUS_NO_RESPONDER: { status: 503, summary: 'Nothing answers requests on that bus topic.' },
  BUS_REQUEST_FAILED: { status: 502, summary: 'The responder to a bus request failed.' },
  BUS_UNAVAILABLE: { status: 503, summary: 'The message broker cannot be reached.' },
  REDIS_UNAVAILABLE: { status: 503, summary: 'The configured Redis server cannot be reached.' },

  // Agents.
  AGENT_TURN_LIMIT: { status: 422, summary: 'The agent used all its turns without finishing.' },
  AGENT_LOOP_DETECTED: {
    status: 422,
    summary: 'The agent repeated the same action too many times.',
  },
  AGENT_TIME_LIMIT: { status: 422, summary: 'The agent ran past its wall-time limit.' },

  // Orchestration.
  LEASE_LOST: { status: 409, summary: 'The worker no longer holds the step it tried to commit.' },
  STEP_LEASE_EXPIRED: {
    status: 500,
    summary: "A step's worker died or stopped renewing its lease; the step was re-queued.",
  },
  STEP_WORKERS_DIED: {
    status: 500,
    summary: "A step's lease expired too many times (steps.max_lease_expiries); it was stopped.",
  },
  DEPENDENCY_CYCLE: { status: 409, summary: 'Tasks would depend on each other in a circle.' },

  // Sandbox and workspaces.
  PATH_OUTSIDE_WORKSPACE: {
    status: 400,
    summary: 'A path leaves the workspace (.., an absolute path or a symlink out of it).',
  },
  WORKSPACE_NOT_FOUND: { status: 404, summary: 'The project or task has no workspace yet.' },
  WORKSPACE_EXISTS: { status: 409, summary: 'The project already has a repository.' },
  WORKSPACE_IMPORT_FAILED: {
    status: 422,
    summary: 'No git repository could be read at the import source (one answer for every cause).',
  },
  WORKSPACE_IMPORT_PATH_REFUSED: {
    status: 403,
    summary: 'The folder is not inside an import root (CADRE_IMPORT_ROOTS), or is Cadre data.',
  },
  WORKSPACE_IMPORT_ADDRESS_REFUSED: {
    status: 403,
    summary: 'The URL leads to a loopback, private or metadata address not allowlisted.',
  },
  MERGE_CONFLICT: { status: 409, summary: 'The merge conflicts; the base branch is unchanged.' },
  WORKSPACE_CHECKOUT_STALE: {
    status: 409,
    summary: 'The base branch moved, but the worktree that has it checked out could not follow.',
  },
  FILE_TOO_LARGE: { status: 413, summary: 'The file is larger than the API reads or writes.' },
  WORKSPACE_NESTED_REPOSITORY: {
    status: 422,
    summary: 'The worktree holds a git repository or submodule of its own; nothing was changed.',
  },
  WORKSPACE_SYMLINK_OUTSIDE: {
    status: 422,
    summary: 'A symlink to be committed or merged leads outside the worktree; nothing was changed.',
  },
  GIT_FAILED: { status: 500, summary: 'A git command failed unexpectedly.' },
  GIT_CONFIG_UNTRUSTED: {
    status: 500,
    summary: "The repository's git config holds a key Cadre does not write; git does not run.",
  },
  SANDBOX_UNAVAILABLE: { status: 503, summary: 'The configured sandbox executor cannot run.' },
  SANDBOX_HOST_EXEC_REFUSED: {
    status: 503,
    summary: 'Running on the host without isolation needs --unsafe-host-exec.',
  },
  SANDBOX_FAILED: { status: 500, summary: 'The sandbox could not start the command.' },
  SANDBOX_NETWORK_UNAVAILABLE: {
    status: 503,
    summary: 'A networked sandbox needs slirp4netns and nftables, which are missing here.',
  },

  // Task retries.
  WORKSPACES_UNAVAILABLE: {
    status: 503,
    summary: 'This server holds no workspaces, which retrying a task from the start needs.',
  },

  // Git hosts and their webhooks.
  HOST_NOT_CONFIGURED: {
    status: 409,
    summary: 'The project has no git host (host kind, API URL, repository and host token).',
  },
  HOST_AUTH_FAILED: { status: 502, summary: "The git host refused the project's host token." },
  HOST_NOT_FOUND: {
    status: 502,
    summary:
      'The git host has no such repository, pull request or issue (or the token cannot see it).',
  },
  HOST_UNAVAILABLE: {
    status: 503,
    summary: 'The git host cannot be reached or did not answer in time.',
  },
  HOST_REQUEST_FAILED: {
    status: 502,
    summary: 'The git host refused or did not understand a request.',
  },
  WEBHOOK_SIGNATURE_INVALID: {
    status: 401,
    summary: "A webhook delivery's signature (or token) is missing or does not match the secret.",
  },
  WEBHOOK_REPLAYED: {
    status: 409,
    summary: 'A webhook delivery with this id was received before; it was not acted on again.',
  },
  WEBHOOK_STALE: { status: 409, summary: 'A webhook delivery is older than the accepted window.' },
  WEBHOOK_PAYLOAD_INVALID: { status: 400, summary: "A webhook delivery's body is not valid JSON." },

  // Upstream repositories (fetch and push).
  REMOTE_AUTH_FAILED: {
    status: 422,
    summary:
      'The git host refused the credential, or the repository is private and none was given.',
  },
  REMOTE_BRANCH_NOT_FOUND: { status: 422, summary: 'The upstream repository has no such branch.' },
  REMOTE_UNREACHABLE: {
    status: 502,
    summary: 'The upstream repository could not be reached or read (host down, wrong address).',
  },
  REMOTE_PUSH_REJECTED: {
    status: 409,
    summary: 'The upstream refused the push: it moved since the last fetch, or declined it.',
  },
  REMOTE_HOST_KEY_CHANGED: {
    status: 502,
    summary: "The upstream's ssh host key differs from the one recorded at the first connection.",
  },
  REMOTE_ADDRESS_REFUSED: {
    status: 403,
    summary:
      'The upstream host now leads to a loopback, private or metadata address not allowlisted.',
  },

  // Ours.
  INTERNAL: { status: 500, summary: 'An unexpected error; the request id finds it in the log.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;
