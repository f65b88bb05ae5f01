// The one schema for every Cadre setting. Environment variables and the optional
// configuration file both land here; nothing else in Cadre reads process.env for settings.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseEnvInteger, parseEnvList, Port, type EnvBinding } from './env.js';
import { ImportsConfig, importsEnv } from './imports.js';
import { ModelsConfig, ProvidersConfig, providersEnv } from './llm.js';
import { SandboxConfig, sandboxEnv } from './sandbox.js';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const PostgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL');

/** A web origin, scheme://host[:port], as a browser sends it in its Origin header. */
const WebOrigin = z
  .url({ protocol: /^https?$/ })
  .refine((value) => URL.canParse(value) && new URL(value).origin === value.replace(/\/$/, ''), {
    message: 'expected an origin such as https://cadre.example.com (no path, no credentials)',
  });

/** Where users reach this Cadre: an http(s) URL, maybe with a path, no credentials or query. */
const PublicUrl = z
  .url({ protocol: /^https?$/ })
  .refine(
    (value) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      return !url.username && !url.password && !url.search && !url.hash;
    },
    { message: 'expected a URL such as https://cadre.example.com (no credentials, no query)' },
  )
  .transform((value) => value.replace(/\/+$/, ''));

export const ServerConfig = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: Port.default(4100),
    /** The largest request body accepted, in bytes. */
    bodyLimit: z.number().int().min(1024).default(1_048_576),
    /** Requests per minute for one API key or session (0 turns the limit off). */
    rateLimitPerMinute: z.number().int().min(0).default(1200),
    /** How often live WebSocket clients are pinged; one that misses a ping is dropped. */
    liveHeartbeatMs: z.number().int().min(100).default(15_000),
    /** Bytes a live client may leave unread before it is dropped as too slow. */
    liveMaxBufferedBytes: z.number().int().min(1024).default(1_048_576),
    /** Subscriptions one live WebSocket may hold at once. */
    liveMaxSubscriptions: z.number().int().min(1).default(100),
    /** Live WebSockets one API key or session may hold open on one API node. */
    liveMaxSocketsPerCredential: z.number().int().min(1).default(20),
    /** Invalid credentials one client address may present a minute (0 turns the limit off). */
    invalidCredentialsPerMinute: z.number().int().min(0).default(30),
    /** Time a client has to send a request's headers before the connection is closed. */
    headersTimeoutMs: z.number().int().min(100).default(10_000),
    /** Time a client has to send a whole request, headers and body. */
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    /** Origins besides the app's own from which a browser session may be used. */
    allowedOrigins: z.array(WebOrigin).default([]),
    /**
     * The URL users reach Cadre at (behind a proxy), used in the links it hands out such as
     * clone URLs; without it they are built from the request's own host.
     */
    publicUrl: PublicUrl.optional(),
  })
  .refine((server) => server.requestTimeoutMs >= server.headersTimeoutMs, {
    message: 'must be at least headersTimeoutMs: the headers are part of the request',
    path: ['requestTimeoutMs'],
  });

export const Config = z.strictObject({
  /** Where Cadre keeps its embedded database, keys and workspaces. */
  dataDir: z.string().min(1).default(join(homedir(), '.cadre')),
  server: ServerConfig.default(ServerConfig.parse({})),
  database: z
    .strictObject({
      /** An external Postgres; without it Cadre starts its own embedded server. */
      url: PostgresUrl.optional(),
      poolSize: z.number().int().min(1).max(200).default(10),
    })
    .default({ poolSize: 10 }),
  log: z.strictObject({ level: LogLevel.default('info') }).default({ level: 'info' }),
  redis: z
    .strictObject({
      url: z
        .string()
        .regex(/^rediss?:\/\//)
        .optional(),
    })
    .default({}),
  rabbitmq: z
    .strictObject({
      url: z
        .string()
        .regex(/^amqps?:\/\//)
        .optional(),
    })
    .default({}),
  providers: ProvidersConfig.default(ProvidersConfig.parse({})),
  models: ModelsConfig.default(ModelsConfig.parse({})),
  sandbox: SandboxConfig.default(SandboxConfig.parse({})),
  imports: ImportsConfig.default({ roots: [], allowHosts: [] }),
  secrets: z
    .strictObject({
      /** The master key stored secrets are sealed under (32 bytes, base64); else a file in dataDir. */
      masterKey: z.string().min(1).optional(),
    })
    .default({}),
  workers: z
    .strictObject({
      /** Worker loops `cadre up` runs in its own process (0: only standalone `cadre worker`s). */
      inProcess: z.number().int().min(0).max(64).default(1),
      /** Steps one worker runs at once. */
      concurrency: z.number().int().min(1).max(256).default(4),
    })
    .default({ inProcess: 1, concurrency: 4 }),
  /** Roles added to or overriding the built-in team; checked against the role schema at start. */
  roles: z.array(z.record(z.string(), z.unknown())).default([]),
});
export type Config = z.infer<typeof Config>;

/** Every environment variable Cadre reads, with the key it sets. */
export const envBindings: readonly EnvBinding[] = [
  { env: 'CADRE_DATA_DIR', path: ['dataDir'] },
  { env: 'CADRE_HOST', path: ['server', 'host'] },
  { env: 'CADRE_PORT', path: ['server', 'port'], parse: parseEnvInteger },
  { env: 'CADRE_BODY_LIMIT', path: ['server', 'bodyLimit'], parse: parseEnvInteger },
  {
    env: 'CADRE_RATE_LIMIT_PER_MINUTE',
    path: ['server', 'rateLimitPerMinute'],
    parse: parseEnvInteger,
  },
  { env: 'CADRE_ALLOWED_ORIGINS', path: ['server', 'allowedOrigins'], parse: parseEnvList },
  {
    env: 'CADRE_INVALID_CREDENTIALS_PER_MINUTE',
    path: ['server', 'invalidCredentialsPerMinute'],
    parse: parseEnvInteger,
  },
  {
    env: 'CADRE_LIVE_MAX_SUBSCRIPTIONS',
    path: ['server', 'liveMaxSubscriptions'],
    parse: parseEnvInteger,
  },
  {
    env: 'CADRE_LIVE_MAX_SOCKETS',
    path: ['server', 'liveMaxSocketsPerCredential'],
    parse: parseEnvInteger,
  },
  { env: 'CADRE_PUBLIC_URL', path: ['server', 'publicUrl'] },
  { env: 'CADRE_HEADERS_TIMEOUT_MS', path: ['server', 'headersTimeoutMs'], parse: parseEnvInteger },
  { env: 'CADRE_REQUEST_TIMEOUT_MS', path: ['server', 'requestTimeoutMs'], parse: parseEnvInteger },
  { env: 'DATABASE_URL', path: ['database', 'url'] },
  { env: 'CADRE_DATABASE_POOL_SIZE', path: ['database', 'poolSize'], parse: parseEnvInteger },
  { env: 'CADRE_LOG_LEVEL', path: ['log', 'level'] },
  { env: 'CADRE_REDIS_URL', path: ['redis', 'url'] },
  { env: 'CADRE_RABBITMQ_URL', path: ['rabbitmq', 'url'] },
  { env: 'CADRE_MASTER_KEY', path: ['secrets', 'masterKey'] },
  { env: 'CADRE_WORKERS', path: ['workers', 'inProcess'], parse: parseEnvInteger },
  {
    env: 'CADRE_WORKER_CONCURRENCY',
    path: ['workers', 'concurrency'],
    parse: parseEnvInteger,
  },
  ...providersEnv,
  ...sandboxEnv,
  ...importsEnv,
];
