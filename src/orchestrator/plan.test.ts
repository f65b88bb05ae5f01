import { describe, expect, it } from 'vitest';
import { validatePlan } from './plan.js';

const roles = new Set(['architect', 'developer', 'reviewer', 'tester']);
const step = (key: string, dependsOn: string[] = [], role = 'developer') => ({
  key,
  role,
  goal: `do ${key}`,
  dependsOn,
});

describe('validatePlan', () => {
  it('accepts a graph and orders it so that dependencies come first', () => {
    const result = validatePlan(
      {
        steps: [
          step('test', ['impl'], 'tester'),
          step('impl', ['design']),
          step('design', [], 'architect'),
        ],
      },
      roles,
    );
    expect(result).toMatchObject({ ok: true, order: ['design', 'impl', 'test'] });
  });

  it('names the cycle so that the planner can break it', () => {
    const result = validatePlan(
      { steps: [step('a', ['c']), step('b', ['a']), step('c', ['b']), step('d')] },
      roles,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      expect.stringMatching(/cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/),
    ]);
  });

  it('lists every problem at once: unknown role, missing and self dependency, duplicate key', () => {
    const result = validatePlan(
      { steps: [step('a', ['ghost']), step('b', ['b']), step('c', [], 'poet'), step('a')] },
      roles,
    );
    expect(!result.ok && result.problems).toEqual([
      'step "c": unknown role "poet"; use one of architect, developer, reviewer, tester',
      'step "a" appears twice; keys must be unique',
      'step "a" depends on "ghost", which is not in the plan',
      'step "b" depends on itself',
    ]);
  });

  it('rejects a malformed plan with the path of each problem', () => {
    const result = validatePlan({ steps: [{ key: 'Bad Key', role: 'developer' }] }, roles);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.join('\n')).toMatch(/steps\.0\.key: lowercase/);
    expect(!result.ok && result.problems.join('\n')).toMatch(/steps\.0\.goal/);
    expect(validatePlan({ steps: [] }, roles)).toEqual({
      ok: false,
      problems: ['steps: a plan needs at least one step'],
    });
  });
});
