// The steps as a graph: their edges, the declared ones and those the orchestrator implies, and
// positions in layers from left to right by dependency depth. Pure: no React, no DOM.
import type { Step } from './api';

export interface GraphEdge {
  source: string;
  target: string;
}

export interface PlacedStep {
  step: Step;
  x: number;
  y: number;
  /** The step's layer (its longest chain of dependencies) and its place across the layer. */
  layer: number;
  row: number;
}

/** Layers go left to right, or top to bottom where the graph has little width. */
export type Direction = 'right' | 'down';

export const nodeWidth = 180;
export const nodeHeight = 64;
const gaps = {
  right: { layer: 64, row: 20 },
  down: { layer: 44, row: 16 },
};

/**
 * Every edge between the steps, by key. Work steps name their dependencies; the orchestrator
 * adds the rest in order: plan → work without dependencies, work and fixes → the round's
 * review and test gates → the next fix, and the last gates → merge.
 */
export function stepEdges(steps: readonly Step[]): GraphEdge[] {
  const keys = new Set(steps.map((step) => step.key));
  const edges: GraphEdge[] = [];
  const add = (source: string | undefined, target: string) => {
    if (source && keys.has(source) && source !== target) edges.push({ source, target });
  };
  const ofKind = (kind: Step['kind']) => steps.filter((step) => step.kind === kind);
  const gatesOf = (round: number) => steps.filter((step) => isGate(step) && step.round === round);

  const plans = ofKind('plan').sort((a, b) => a.round - b.round);
  for (let index = 1; index < plans.length; index++) add(plans[index - 1]!.key, plans[index]!.key);
  const plan = plans.at(-1);

  const work = ofKind('work');
  for (const step of work) {
    for (const dependency of step.dependsOn) add(dependency, step.key);
    if (step.dependsOn.length === 0) add(plan?.key, step.key);
  }
  // A conflict's fix is keyed resolve.<step key>.<time>; it follows the step it re-applies.
  const resolves = ofKind('fix').filter((step) => step.key.startsWith('resolve.'));
  const resolvedKey = (step: Step) => step.key.slice('resolve.'.length, step.key.lastIndexOf('.'));
  for (const step of resolves) add(resolvedKey(step), step.key);
  const resolvesOf = (step: Step) =>
    resolves.filter((resolve) => resolvedKey(resolve) === step.key);
  /** The steps whose work a gate checks last: a step, or the conflict fixes after it. */
  const lastOf = (step: Step): Step[] => {
    const after = resolvesOf(step);
    return after.length === 0 ? [step] : after.flatMap(lastOf);
  };

  const isDependedOn = new Set(work.flatMap((step) => step.dependsOn));
  const fixes = ofKind('fix').filter((step) => !step.key.startsWith('resolve.'));
  const gateRounds = [...new Set(steps.filter(isGate).map((step) => step.round))].sort(
    (a, b) => a - b,
  );
  for (const round of gateRounds) {
    // What the round's gates checked: the plan's last work, or the fix before them. A conflict
    // fix of a step that others depend on leads nowhere else, so the gates wait for it too.
    const checked =
      round === 0
        ? work.flatMap((step) =>
            isDependedOn.has(step.key) ? resolvesOf(step).flatMap(lastOf) : lastOf(step),
          )
        : fixes.filter((step) => step.round === round).flatMap(lastOf);
    for (const gate of gatesOf(round)) {
      if (checked.length === 0) add(plan?.key, gate.key);
      for (const step of checked) add(step.key, gate.key);
    }
  }
  for (const fix of fixes) for (const gate of gatesOf(fix.round - 1)) add(gate.key, fix.key);
  const lastRound = gateRounds.at(-1);
  for (const merge of ofKind('merge')) {
    for (const gate of lastRound === undefined ? [] : gatesOf(lastRound)) add(gate.key, merge.key);
  }
  return edges;
}

const isGate = (step: Step) => step.kind === 'review' || step.kind === 'test';

/**
 * Places each step in the layer of its longest dependency chain, and orders each layer by the
 * average place of the steps it depends on, so that edges cross as little as they can.
 */
export function layoutSteps(
  steps: readonly Step[],
  edges: readonly GraphEdge[],
  direction: Direction = 'right',
): PlacedStep[] {
  const parents = new Map<string, string[]>(steps.map((step) => [step.key, []]));
  for (const edge of edges) parents.get(edge.target)?.push(edge.source);

  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (key: string): number => {
    const known = depth.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0; // a cycle would be the plan's mistake; draw it anyway
    visiting.add(key);
    const value = Math.max(-1, ...(parents.get(key) ?? []).map(depthOf)) + 1;
    visiting.delete(key);
    depth.set(key, value);
    return value;
  };

  const columns: Step[][] = [];
  for (const step of steps) (columns[depthOf(step.key)] ??= []).push(step);
  const row = new Map<string, number>();
  for (const column of columns) {
    if (!column) continue;
    const averageParentRow = (step: Step) => {
      const rows = (parents.get(step.key) ?? []).map((key) => row.get(key) ?? 0);
      return rows.length === 0 ? 0 : rows.reduce((sum, value) => sum + value, 0) / rows.length;
    };
    const order = column.map((step, index) => ({ step, index, weight: averageParentRow(step) }));
    order.sort((a, b) => a.weight - b.weight || a.index - b.index);
    order.forEach(({ step }, index) => row.set(step.key, index - (order.length - 1) / 2));
  }

  const gap = gaps[direction];
  return steps.map((step) => {
    const layer = depthOf(step.key);
    const across = row.get(step.key)!;
    return direction === 'right'
      ? {
          step,
          layer,
          row: across,
          x: layer * (nodeWidth + gap.layer),
          y: across * (nodeHeight + gap.row),
        }
      : {
          step,
          layer,
          row: across,
          x: across * (nodeWidth + gap.row),
          y: layer * (nodeHeight + gap.layer),
        };
  });
}
