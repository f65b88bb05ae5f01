// Loads the effective configuration: defaults, then the optional file, then environment
// variables. It never starts anything; an invalid setting is a CadreError naming the key.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { CadreError } from '../errors/index.js';
import { Config, envBindings } from './schema.js';

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** The folder searched for cadre.config.{json,yaml,yml}. */
  cwd?: string;
}

const configFileNames = ['cadre.config.json', 'cadre.config.yaml', 'cadre.config.yml'];

/** Builds the effective configuration, or throws CONFIG_INVALID naming the bad key. */
export function loadConfig({ env = process.env, cwd = process.cwd() }: LoadConfigOptions = {}) {
  const file = findConfigFile(env, cwd);
  const raw: Record<string, unknown> = file ? readConfigFile(file) : {};
  const fromEnv = new Map<string, string>();
  for (const binding of envBindings) {
    const value = env[binding.env];
    if (value === undefined || value === '') continue;
    setPath(raw, binding.path, binding.parse ? binding.parse(value) : value);
    fromEnv.set(binding.path.join('.'), binding.env);
  }
  const result = Config.safeParse(raw);
  if (!result.success) throw configError(result.error, fromEnv, file);
  return { config: result.data, file };
}

function findConfigFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (env.CADRE_CONFIG) return resolve(cwd, env.CADRE_CONFIG);
  return configFileNames.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CadreError('CONFIG_FILE_UNREADABLE', `Cannot read the configuration file ${path}.`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CadreError('CONFIG_FILE_UNREADABLE', `${path} is not valid: ${reason}`, {
      cause: error,
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CadreError('CONFIG_FILE_UNREADABLE', `${path} must hold an object of settings.`);
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown) {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function configError(error: z.ZodError, fromEnv: Map<string, string>, file: string | undefined) {
  const problems = error.issues.map((issue) => {
    const key = issue.path.join('.') || '(root)';
    const source = envOf(issue.path.map(String), fromEnv) ?? (file ? file : 'defaults');
    return { key, source, message: issue.message };
  });
  const lines = problems.map((p) => `  ${p.key} (from ${p.source}): ${p.message}`);
  return new CadreError('CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, {
    details: problems,
  });
}

// The variable that set a key or one of its parents (a list's item is set by the list's variable).
function envOf(path: readonly string[], fromEnv: Map<string, string>): string | undefined {
  for (let length = path.length; length > 0; length -= 1) {
    const env = fromEnv.get(path.slice(0, length).join('.'));
    if (env) return env;
  }
  return undefined;
}
