// The layering of docs/decisions/0003-module-dependencies.md, checked on every import in
// src/: a module imports only the modules its row allows, and no two modules import each
// other, directly or through others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const everythingBelowApi = [
  'orchestrator',
  'agents',
  'auth',
  'db',
  'bus',
  'llm',
  'memory',
  'sandbox',
  'workspace',
  'hosts',
  'config',
  'errors',
  'observability',
];

const allowed: Record<string, readonly string[]> = {
  errors: [],
  config: ['errors'],
  observability: ['config', 'errors'],
  db: ['config', 'errors'],
  bus: ['db', 'config', 'errors'],
  auth: ['db', 'config', 'errors'],
  sandbox: ['config', 'errors'],
  workspace: ['sandbox', 'config', 'errors'],
  llm: ['db', 'config', 'errors', 'observability'],
  memory: ['db', 'llm', 'errors'],
  testing: ['llm', 'errors'],
  agents: ['llm', 'sandbox', 'workspace', 'memory', 'config', 'errors'],
  hosts: ['workspace', 'db', 'config', 'errors'],
  orchestrator: [
    'hosts',
    'agents',
    'db',
    'bus',
    'llm',
    'memory',
    'sandbox',
    'workspace',
    'auth',
    'config',
    'errors',
    'observability',
  ],
  api: everythingBelowApi,
  cli: ['api', ...everythingBelowApi],
};

const src = resolve(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every import of one module by another: [importer, imported, file]. */
function moduleImports(): Array<[string, string, string]> {
  const edges: Array<[string, string, string]> = [];
  for (const file of sourceFiles(src)) {
    const path = relative(src, file);
    if (!path.includes('/')) continue; // src/index.ts: the package's entry re-exports everything
    const from = path.split('/')[0]!;
    for (const match of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = relative(src, resolve(dirname(file), match[1]!)).split('/')[0]!;
      if (target !== from && !target.startsWith('..'))
        edges.push([from, target.replace(/\.js$/, ''), path]);
    }
  }
  return edges;
}

describe('module dependencies', () => {
  it('point only the way the decision allows', () => {
    const edges = moduleImports();
    expect(edges.length).toBeGreaterThan(50);
    const violations = edges
      .filter(([from, to]) => !(allowed[from] ?? []).includes(to))
      .map(([from, to, file]) => `${file}: ${from} may not import ${to}`);
    expect([...new Set(violations)]).toEqual([]);
  });

  it('form no cycle', () => {
    const graph = new Map<string, Set<string>>();
    for (const [from, to] of moduleImports())
      graph.set(from, (graph.get(from) ?? new Set()).add(to));
    const reaches = (start: string, target: string, seen = new Set<string>()): boolean =>
      [...(graph.get(start) ?? [])].some(
        (next) =>
          next === target || (!seen.has(next) && (seen.add(next), reaches(next, target, seen))),
      );
    const cyclic = [...graph.keys()].filter((module) => reaches(module, module));
    expect(cyclic).toEqual([]);
  });
});
