// GitHub's published OpenAPI description (@octokit/openapi), loaded once per test file: the
// fake host checks every GitHub request body Cadre sends against it, and builds its answers
// as instances of the documented response schemas, checked the same way.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

type Schema = Record<string, unknown>;

interface Operation {
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

export interface GitHubOperation {
  /** Errors of a request body against the operation's schema; empty when it conforms. */
  checkRequest(body: unknown): string[];
  /** A response body of `status`: a minimal valid instance of its schema, overlaid with `fields`. */
  response(status: number, fields: unknown): unknown;
}

let description: { paths: Record<string, Record<string, Operation>> } | undefined;
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<Schema, ValidateFunction>();

/** One operation of api.github.com, by path and method, e.g. ('/repos/{owner}/{repo}/pulls', 'post'). */
export function githubOperation(path: string, method: string): GitHubOperation {
  description ??= JSON.parse(
    readFileSync(
      createRequire(import.meta.url).resolve(
        '@octokit/openapi/generated/api.github.com.deref.json',
      ),
      'utf8',
    ),
  ) as typeof description;
  const operation = description!.paths[path]?.[method];
  if (!operation) throw new Error(`GitHub's description has no ${method} ${path}`);
  const requestSchema = operation.requestBody?.content['application/json']?.schema;
  return {
    checkRequest: (body) => (requestSchema ? errorsOf(requestSchema, body) : []),
    response(status, fields) {
      const schema = operation.responses[String(status)]?.content?.['application/json']?.schema;
      if (!schema) throw new Error(`${method} ${path} documents no ${status} JSON answer`);
      const items = schema.items as Schema | undefined;
      const body =
        Array.isArray(fields) && items
          ? fields.map((item) => overlay(sample(items), item))
          : overlay(sample(schema), fields);
      const errors = errorsOf(schema, body);
      if (errors.length > 0)
        throw new Error(
          `the fake's ${method} ${path} answer breaks the schema: ${errors.join('; ')}`,
        );
      return body;
    },
  };
}

function errorsOf(schema: Schema, value: unknown): string[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}

/** The smallest instance of `schema`: its required properties, each the simplest valid value. */
function sample(schema: Schema, depth = 0): unknown {
  if (depth > 12) return null;
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants?.length) return sample(variants[0]!, depth + 1);
  if (Array.isArray(schema.allOf))
    return (schema.allOf as Schema[]).reduce<unknown>(
      (merged, part) => overlay(merged, sample(part, depth + 1)),
      {},
    );
  if (schema.enum) return (schema.enum as unknown[])[0];
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : schema.type;
  if (schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes('null')))
    if (type !== 'object' && type !== 'array') return null;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const result: Record<string, unknown> = {};
      for (const name of (schema.required ?? []) as string[])
        result[name] = properties[name] ? sample(properties[name], depth + 1) : null;
      return result;
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'string':
      return schema.format === 'date-time' ? '2026-01-01T00:00:00Z' : 'x';
    case 'null':
      return null;
    default:
      return null;
  }
}

/** `base` with `fields` written over it, objects merged key by key. */
function overlay(base: unknown, fields: unknown): unknown {
  if (!isObject(base) || !isObject(fields)) return fields === undefined ? base : fields;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(fields)) result[key] = overlay(base[key], value);
  return result;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
