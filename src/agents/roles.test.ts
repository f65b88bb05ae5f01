import { describe, expect, it } from 'vitest';
import { builtInRoles, mergeRoles, RoleDefinition } from './roles.js';

describe('roles', () => {
  it('start with the six built-in roles, each able to finish', () => {
    expect(builtInRoles.map((role) => role.name)).toEqual([
      'planner',
      'architect',
      'developer',
      'reviewer',
      'tester',
      'devops',
    ]);
    for (const role of builtInRoles) expect(role.tools).toContain('finish');
  });

  it('let a later layer override a built-in and add new ones', () => {
    const strictReviewer = {
      ...builtInRoles.find((role) => role.name === 'reviewer')!,
      maxTurns: 5,
    };
    const writer = RoleDefinition.parse({
      name: 'tech-writer',
      description: 'Writes docs',
      systemPrompt: 'Write docs.',
      tools: ['read_file', 'write_file', 'finish'],
    });
    const roles = mergeRoles([strictReviewer], [writer]);
    expect(roles.get('reviewer')!.maxTurns).toBe(5);
    expect(roles.get('tech-writer')).toMatchObject({
      maxTurns: 30,
      budgetShare: 0.25,
      modelPolicy: { tier: 'balanced' },
    });
    expect(roles.size).toBe(7);
  });

  it('refuse a role without the finish tool or with an unknown tool', () => {
    const base = { name: 'x', description: 'x', systemPrompt: 'x' };
    expect(RoleDefinition.safeParse({ ...base, tools: ['read_file'] }).success).toBe(false);
    expect(RoleDefinition.safeParse({ ...base, tools: ['finish', 'rm_rf'] }).success).toBe(false);
  });
});
