// The model of the chaos runs: answers an OpenAI chat completions request from the request
// alone (which role, which task, which step, how many turns so far), so that steps resumed
// by another process after a kill get the same next turn. It never remembers anything.
import type { Behaviour, FakeReply, RecordedRequest } from '../fakes/model-server.js';

/** The project's test: every src/f<n>.js must export value() returning n. */
export const projectTest = `const fs = require('node:fs');
const files = fs.existsSync('src') ? fs.readdirSync('src').filter((name) => name.endsWith('.js')) : [];
for (const file of files) {
  const expected = Number(file.slice(1, -3));
  const module = require('./src/' + file);
  if (typeof module.value !== 'function' || module.value() !== expected) {
    console.error(file + ' is wrong');
    process.exit(1);
  }
}
console.log(files.length + ' passed');
`;

/** The description of chaos task `n`; the model reads `n` back from it. */
export const taskDescription = (n: number) => `Chaos task #${n}: add src/f${n}.js`;

/** The commit message of step `stepKey` of task `n`: unique per task and step. */
export const commitMessage = (n: number, stepKey: string) =>
  `Task ${n}: write src/f${n}.js (${stepKey})`;

const goodSource = (n: number) => `exports.value = () => ${n};\n`;
/** A file cut short: what a torn write or a careless developer leaves. */
const brokenSource = 'exports.value = () =>';

interface ChatMessage {
  role: string;
  content?: unknown;
}

const text = (content: unknown): string =>
  typeof content === 'string' ? content : JSON.stringify(content ?? '');

/**
 * The reply to one request. `isBrokenFirst(n)` tasks write a broken file in their first
 * work step: only Cadre's own test run before the merge can keep it off the base branch.
 */
export function chaosReply(
  request: RecordedRequest,
  isBrokenFirst: (n: number) => boolean,
): Behaviour | null {
  const messages = (request.body.messages ?? []) as ChatMessage[];
  const prompt = text(messages.find((message) => message.role === 'user')?.content);
  const n = Number(/Chaos task #(\d+)/.exec(prompt)?.[1]);
  const step = /Your step \(([^,]+), as ([a-z-]+)\)/.exec(prompt);
  if (!Number.isInteger(n) || !step) return null;
  const [, stepKey, role] = step as unknown as [string, string, string];
  const turn = messages.filter((message) => message.role === 'assistant').length;
  const id = `t${n}-${stepKey}-${turn}`;
  const calls = turns(n, stepKey, role, isBrokenFirst(n));
  // Past the script (an error answered, say): finish, so that no step loops.
  const [name, input] = calls[turn] ?? ['finish', { summary: 'Done.' }];
  return reply({ toolCalls: [{ id, name, arguments: JSON.stringify(input) }] });
}

type Call = [name: string, input: unknown];

function turns(n: number, stepKey: string, role: string, isBrokenFirst: boolean): Call[] {
  if (role === 'planner') {
    return [
      [
        'finish',
        {
          summary: 'One step.',
          result: {
            summary: `Add src/f${n}.js`,
            steps: [
              {
                key: 'impl',
                role: 'developer',
                goal: `Write src/f${n}.js`,
                acceptance: ['npm test passes'],
              },
            ],
          },
        },
      ],
    ];
  }
  if (role === 'developer') {
    const content = stepKey === 'step.impl' && isBrokenFirst ? brokenSource : goodSource(n);
    return [
      ['write_file', { path: `src/f${n}.js`, content }],
      ['run_tests', {}],
      ['git_commit', { message: commitMessage(n, stepKey) }],
      ['finish', { summary: `Wrote src/f${n}.js.` }],
    ];
  }
  if (role === 'reviewer') {
    return [['finish', { summary: 'Fine.', result: { approved: true, feedback: '' } }]];
  }
  // The tester claims a pass whatever ran: Cadre's own run is the verdict.
  return [
    ['run_tests', {}],
    ['finish', { summary: 'Ran.', result: { passed: true, report: 'ran the tests' } }],
  ];
}

const reply = (value: FakeReply): Behaviour => ({
  kind: 'reply',
  reply: { ...value, usage: { input: 100, output: 20 } },
});
