// The step graph's edges and positions for the step lists real tasks have, keyed as the
// orchestrator keys them (src/orchestrator/transitions.ts).
import { describe, expect, it } from 'vitest';
import type { Step } from './api';
import { layoutSteps, stepEdges, type GraphEdge } from './graph-layout';

let nextId = 0;

function step(key: string, kind: Step['kind'], fields: Partial<Step> = {}): Step {
  nextId++;
  const fixture = {
    id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    taskId: '00000000-0000-4000-8000-0000000000aa',
    key,
    kind,
    role: kind === 'plan' ? 'planner' : 'developer',
    goal: `Goal of ${key}`,
    acceptance: [],
    dependsOn: [],
    status: 'done' as const,
    attempts: 1,
    failures: 0,
    maxAttempts: 3,
    leaseExpiries: 0,
    maxLeaseExpiries: 5,
    attemptErrors: [],
    round: 0,
    attempt: 1,
    summary: null,
    result: null,
    error: null,
    createdAt: '2026-01-05T10:00:00.000Z',
    updatedAt: '2026-01-05T10:05:00.000Z',
    claimedAt: null,
    ...fields,
  };
  return fixture;
}

const gates = (round: number) => [
  step(`review.${round}`, 'review', { role: 'reviewer', round }),
  step(`test.${round}`, 'test', { role: 'tester', round }),
];

const pairs = (edges: readonly GraphEdge[]) =>
  edges.map((edge) => `${edge.source} → ${edge.target}`);

describe('stepEdges', () => {
  it('runs a one-step plan through both gates to the merge', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.readme', 'work'),
      ...gates(0),
      step('merge', 'merge'),
    ];

    expect(stepEdges(steps)).toEqual([
      { source: 'plan.0', target: 'step.readme' },
      { source: 'step.readme', target: 'review.0' },
      { source: 'step.readme', target: 'test.0' },
      { source: 'review.0', target: 'merge' },
      { source: 'test.0', target: 'merge' },
    ]);
  });

  it('starts parallel steps at the plan and gates only the steps nothing depends on', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.api', 'work'),
      step('step.ui', 'work'),
      step('step.docs', 'work', { dependsOn: ['step.api'] }),
      ...gates(0),
    ];

    expect(pairs(stepEdges(steps))).toEqual([
      'plan.0 → step.api',
      'plan.0 → step.ui',
      'step.api → step.docs',
      'step.ui → review.0',
      'step.docs → review.0',
      'step.ui → test.0',
      'step.docs → test.0',
    ]);
  });

  it('puts a failed round’s fix between its gates and the next round’s', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.parser', 'work'),
      ...gates(0),
      step('fix.1', 'fix', { round: 1 }),
      ...gates(1),
      step('merge', 'merge'),
    ];

    expect(pairs(stepEdges(steps))).toEqual([
      'plan.0 → step.parser',
      'step.parser → review.0',
      'step.parser → test.0',
      'fix.1 → review.1',
      'fix.1 → test.1',
      'review.0 → fix.1',
      'test.0 → fix.1',
      'review.1 → merge',
      'test.1 → merge',
    ]);
  });

  it('chains a refused plan to its retry, and hangs the work off the accepted one', () => {
    const steps = [
      step('plan.1', 'plan', { round: 1 }),
      step('plan.0', 'plan', { status: 'failed' }),
      step('step.schema', 'work'),
    ];

    expect(pairs(stepEdges(steps))).toEqual(['plan.0 → plan.1', 'plan.1 → step.schema']);
  });

  it('gates a conflicting step through its conflict fix', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.api', 'work'),
      step('step.ui', 'work'),
      step('resolve.step.ui.1767607200000', 'fix'),
      ...gates(0),
    ];

    expect(pairs(stepEdges(steps))).toEqual([
      'plan.0 → step.api',
      'plan.0 → step.ui',
      'step.ui → resolve.step.ui.1767607200000',
      'step.api → review.0',
      'resolve.step.ui.1767607200000 → review.0',
      'step.api → test.0',
      'resolve.step.ui.1767607200000 → test.0',
    ]);
  });

  it('gates a conflict fix of a step that others depend on, so it does not dangle', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.api', 'work'),
      step('step.docs', 'work', { dependsOn: ['step.api'] }),
      step('resolve.step.api.1767607200000', 'fix'),
      ...gates(0),
    ];

    expect(pairs(stepEdges(steps))).toEqual([
      'plan.0 → step.api',
      'step.api → step.docs',
      'step.api → resolve.step.api.1767607200000',
      'resolve.step.api.1767607200000 → review.0',
      'step.docs → review.0',
      'resolve.step.api.1767607200000 → test.0',
      'step.docs → test.0',
    ]);
  });

  it('follows a conflict in a fix, and a conflict in that conflict’s fix, to the next gates', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.core', 'work'),
      ...gates(0),
      step('fix.1', 'fix', { round: 1 }),
      step('resolve.fix.1.1767607200000', 'fix'),
      step('resolve.resolve.fix.1.1767607200000.1767607300000', 'fix'),
      ...gates(1),
    ];

    const edges = pairs(stepEdges(steps));

    expect(edges).toEqual([
      'plan.0 → step.core',
      'fix.1 → resolve.fix.1.1767607200000',
      'resolve.fix.1.1767607200000 → resolve.resolve.fix.1.1767607200000.1767607300000',
      'step.core → review.0',
      'step.core → test.0',
      'resolve.resolve.fix.1.1767607200000.1767607300000 → review.1',
      'resolve.resolve.fix.1.1767607200000.1767607300000 → test.1',
      'review.0 → fix.1',
      'test.0 → fix.1',
    ]);
  });

  it('draws only the plan while it is the only step', () => {
    expect(stepEdges([step('plan.0', 'plan', { status: 'running' })])).toEqual([]);
  });
});

describe('layoutSteps', () => {
  const oneStepTask = [
    step('plan.0', 'plan'),
    step('step.readme', 'work'),
    ...gates(0),
    step('merge', 'merge'),
  ];

  it('places layers left to right and centres each layer across', () => {
    const placed = layoutSteps(oneStepTask, stepEdges(oneStepTask), 'right');

    expect(
      placed.map(({ step, layer, row, x, y }) => ({ key: step.key, layer, row, x, y })),
    ).toEqual([
      { key: 'plan.0', layer: 0, row: 0, x: 0, y: 0 },
      { key: 'step.readme', layer: 1, row: 0, x: 244, y: 0 },
      { key: 'review.0', layer: 2, row: -0.5, x: 488, y: -42 },
      { key: 'test.0', layer: 2, row: 0.5, x: 488, y: 42 },
      { key: 'merge', layer: 3, row: 0, x: 732, y: 0 },
    ]);
  });

  it('places layers top to bottom when the direction is down', () => {
    const placed = layoutSteps(oneStepTask, stepEdges(oneStepTask), 'down');

    expect(placed.map(({ step, x, y }) => ({ key: step.key, x, y }))).toEqual([
      { key: 'plan.0', x: 0, y: 0 },
      { key: 'step.readme', x: 0, y: 108 },
      { key: 'review.0', x: -98, y: 216 },
      { key: 'test.0', x: 98, y: 216 },
      { key: 'merge', x: 0, y: 324 },
    ]);
  });

  it('puts a step one layer past the longest chain it waits for', () => {
    const steps = [
      step('plan.0', 'plan'),
      step('step.api', 'work'),
      step('step.ui', 'work'),
      step('step.docs', 'work', { dependsOn: ['step.api'] }),
      ...gates(0),
      step('merge', 'merge'),
    ];

    const layers = layoutSteps(steps, stepEdges(steps)).map(({ step, layer }) => [step.key, layer]);

    expect(layers).toEqual([
      ['plan.0', 0],
      ['step.api', 1],
      ['step.ui', 1],
      ['step.docs', 2],
      ['review.0', 3],
      ['test.0', 3],
      ['merge', 4],
    ]);
  });

  it('orders a layer by where its parents sit, so that edges do not cross', () => {
    // The API lists step.ui.tests before step.api.tests; drawn in that order the edges cross.
    const steps = [
      step('plan.0', 'plan'),
      step('step.api', 'work'),
      step('step.ui', 'work'),
      step('step.ui.tests', 'work', { dependsOn: ['step.ui'] }),
      step('step.api.tests', 'work', { dependsOn: ['step.api'] }),
    ];

    const rows = layoutSteps(steps, stepEdges(steps)).map(({ step, row }) => [step.key, row]);

    expect(rows).toEqual([
      ['plan.0', 0],
      ['step.api', -0.5],
      ['step.ui', 0.5],
      ['step.ui.tests', 0.5],
      ['step.api.tests', -0.5],
    ]);
  });

  it('still places every step when the declared dependencies form a cycle', () => {
    const steps = [
      step('step.a', 'work', { dependsOn: ['step.b'] }),
      step('step.b', 'work', { dependsOn: ['step.a'] }),
    ];

    const placed = layoutSteps(steps, stepEdges(steps));

    expect(placed.map(({ step, layer }) => [step.key, layer])).toEqual([
      ['step.a', 2],
      ['step.b', 1],
    ]);
  });
});
