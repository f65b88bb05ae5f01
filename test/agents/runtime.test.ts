// The agent loop through the real gateway, driven by the scripted model, with a tool host that
// keeps files in memory and counts every side effect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInRoles, type RoleDefinition } from '../../src/agents/index.js';
import {
  runAgent,
  type AgentEvent,
  type Checkpoints,
  type TranscriptEntry,
} from '../../src/agents/index.js';
import type { ToolHost } from '../../src/agents/index.js';
import type { Database } from '../../src/db/index.js';
import { createScriptedModel, type ScriptedTurn } from '../../src/testing/index.js';
import { closeHarnesses, createHarness, createLlmTestDatabase } from '../llm/helpers.js';

let database: Database;
let orgId: string;
beforeAll(async () => {
  ({ database, orgId } = await createLlmTestDatabase());
});
afterAll(async () => {
  await closeHarnesses();
  await database.close();
});

const developer = builtInRoles.find((role) => role.name === 'developer')!;

function memoryCheckpoints(): Checkpoints & { entries: TranscriptEntry[] } {
  const entries: TranscriptEntry[] = [];
  return {
    entries,
    load: async () => structuredClone(entries),
    append: async (entry) => void entries.push(structuredClone(entry)),
  };
}

function memoryHost(files: Record<string, string> = {}) {
  const effects: string[] = [];
  const host: ToolHost = {
    listFiles: async () => Object.keys(files).map((path) => ({ path, type: 'file' })),
    readFile: async (path) => {
      if (!(path in files)) throw new Error(`${path} does not exist`);
      return files[path]!;
    },
    writeFile: async (path, content) => {
      effects.push(`write ${path}`);
      files[path] = content;
    },
    run: async (argv) => {
      effects.push(`run ${argv.join(' ')}`);
      return { exitCode: 0, stdout: 'ok\n', stderr: '', isTimedOut: false };
    },
    testCommand: async () => ['npm', 'test'],
    commit: async () => {
      effects.push('commit');
      return 'abc123';
    },
    gitStatus: async () => '## cadre/task',
    gitDiff: async () => '',
    searchCode: async () => '',
    remember: async () => void effects.push('remember'),
    recall: async () => [],
    askRole: async (role, question) => `${role} says: yes to "${question}"`,
    askHuman: async () => 'approved',
  };
  return { host, files, effects };
}

function agentFor(turns: ScriptedTurn[], role: RoleDefinition = developer) {
  const model = createScriptedModel({ turns });
  const { gateway } = createHarness({ database, models: {}, providers: [model.asProvider()] });
  return {
    model,
    gateway,
    role: { ...role, modelPolicy: { ...role.modelPolicy, model: model.id } },
  };
}

const call = (
  toolName: string,
  input: unknown,
  toolCallId = `${toolName}-${Math.random().toString(36).slice(2, 8)}`,
) => ({
  toolName,
  input,
  toolCallId,
});

describe('agent runtime', () => {
  it('reads, edits, tests and commits, then finishes with its summary', async () => {
    const { gateway, role, model } = agentFor([
      { toolCalls: [call('read_file', { path: 'src/app.ts' })] },
      {
        text: 'Adding the route.',
        toolCalls: [
          call('edit_file', {
            path: 'src/app.ts',
            oldText: '// routes',
            newText: "app.get('/health')",
          }),
        ],
      },
      { toolCalls: [call('run_tests', {}), call('git_commit', { message: 'Add /health' })] },
      { toolCalls: [call('finish', { summary: 'Added /health with a test.' })] },
    ]);
    const { host, files, effects } = memoryHost({ 'src/app.ts': 'const app = x;\n// routes\n' });
    const events: AgentEvent[] = [];
    const outcome = await runAgent({
      gateway,
      role,
      prompt: 'Add a health route',
      context: { orgId },
      host,
      checkpoints: memoryCheckpoints(),
      onEvent: (event) => void events.push(event),
    });

    expect(outcome).toEqual({ summary: 'Added /health with a test.', result: undefined, turns: 4 });
    expect(files['src/app.ts']).toBe("const app = x;\napp.get('/health')\n");
    expect(effects).toEqual(['write src/app.ts', 'run npm test', 'commit']);
    expect(
      events
        .filter((event) => event.type === 'agent-turn')
        .map((event) => event.type === 'agent-turn' && event.toolCalls),
    ).toEqual([['read_file'], ['edit_file'], ['run_tests', 'git_commit'], ['finish']]);
    // The model saw the file it read and the tool results, in order.
    const lastPrompt = JSON.stringify(model.calls.at(-1)!.prompt);
    expect(lastPrompt).toContain('// routes');
    expect(lastPrompt).toContain('committed abc123');
    expect(JSON.stringify(model.calls[0]!.tools)).toContain('edit_file');
  });

  it('resumes after a crash from its last checkpoint without repeating a side effect', async () => {
    const checkpoints = memoryCheckpoints();
    const { host, effects } = memoryHost();
    const crash = new AbortController();
    const dying: ToolHost = {
      ...host,
      run: async (argv, options) => {
        await host.run(argv, options);
        crash.abort(new Error('worker killed'));
        throw new Error('worker killed');
      },
    };
    const first = agentFor([
      { toolCalls: [call('write_file', { path: 'a.txt', content: 'one' }, 'w1')] },
      { toolCalls: [call('run_command', { argv: ['make', 'migrate'] }, 'r1')] },
    ]);
    await expect(
      runAgent({
        ...first,
        prompt: 'go',
        context: { orgId },
        host: dying,
        checkpoints,
        signal: crash.signal,
      }),
    ).rejects.toThrow('worker killed');
    expect(effects).toEqual(['write a.txt', 'run make migrate']);

    // Another worker resumes: the interrupted command is reported, never run again.
    const second = agentFor([
      { toolCalls: [call('finish', { summary: 'Checked the migration by hand.' })] },
    ]);
    const outcome = await runAgent({
      ...second,
      prompt: 'go',
      context: { orgId },
      host,
      checkpoints,
    });
    expect(outcome.summary).toBe('Checked the migration by hand.');
    expect(effects).toEqual(['write a.txt', 'run make migrate']);
    expect(JSON.stringify(second.model.calls[0]!.prompt)).toContain(
      'interrupted and may or may not have taken effect',
    );
    expect(second.model.calls).toHaveLength(1);
  });

  it('tells the model when its input is invalid or the tool is not its own, and lets it correct itself', async () => {
    const reviewer = builtInRoles.find((role) => role.name === 'reviewer')!;
    const { gateway, role, model } = agentFor(
      [
        {
          toolCalls: [
            call('read_file', { file: 'a.ts' }),
            call('write_file', { path: 'a.ts', content: 'x' }),
          ],
        },
        {
          toolCalls: [
            call('finish', { summary: 'Looks good.', result: { approved: true, feedback: '' } }),
          ],
        },
      ],
      reviewer,
    );
    const { host, effects } = memoryHost({ 'a.ts': 'x' });
    const outcome = await runAgent({
      gateway,
      role,
      prompt: 'review',
      context: { orgId },
      host,
      checkpoints: memoryCheckpoints(),
    });
    expect(outcome.result).toEqual({ approved: true, feedback: '' });
    expect(effects).toEqual([]);
    const seen = JSON.stringify(model.calls[1]!.prompt);
    expect(seen).toContain('Invalid input');
    expect(seen).toContain('Unknown tool \\"write_file\\"');
  });

  it('stops an agent that repeats itself, and one that never finishes', async () => {
    const same = () => ({ toolCalls: [call('list_files', { path: '.' }, 'same')] });
    const looping = agentFor(Array.from({ length: 10 }, same));
    await expect(
      runAgent({
        ...looping,
        prompt: 'go',
        context: { orgId },
        host: memoryHost().host,
        checkpoints: memoryCheckpoints(),
      }),
    ).rejects.toMatchObject({ code: 'AGENT_LOOP_DETECTED' });
    expect(looping.model.calls).toHaveLength(5);

    const talker = agentFor(
      Array.from({ length: 3 }, (_, index) => ({ text: `thinking ${index}` })),
    );
    const limited = { ...talker.role, maxTurns: 3 };
    await expect(
      runAgent({
        ...talker,
        role: limited,
        prompt: 'go',
        context: { orgId },
        host: memoryHost().host,
        checkpoints: memoryCheckpoints(),
      }),
    ).rejects.toMatchObject({ code: 'AGENT_TURN_LIMIT' });
  });
});

describe('the budget share of an agent', () => {
  it("stops the agent before the call that would go past its share of the task's budget", async () => {
    const expensive = createScriptedModel({
      turns: [
        {
          toolCalls: [call('list_files', { path: '.' })],
          usage: { inputTokens: 1000, outputTokens: 1000 },
        },
        { toolCalls: [call('list_files', { path: 'src' })] },
      ],
      info: { prices: { input: 1000, output: 1000, cachedInput: 0 } }, // $2 a call of 2000 tokens
    });
    const { gateway } = createHarness({
      database,
      models: {},
      providers: [expensive.asProvider()],
    });
    const role = {
      ...developer,
      budgetShare: 0.5,
      modelPolicy: { ...developer.modelPolicy, model: expensive.id },
    };
    const run = runAgent({
      gateway,
      role,
      prompt: 'go',
      context: { orgId },
      host: memoryHost().host,
      checkpoints: memoryCheckpoints(),
      budgetUsd: 1.5,
    });
    await expect(run).rejects.toMatchObject({
      code: 'LLM_BUDGET_EXCEEDED',
      details: { scope: 'step', limitUsd: 1.5 },
    });
    expect(expensive.calls).toHaveLength(1);
  });
});
