// The `cadre` command line. Each command loads the configuration first, so that an invalid
// setting stops every command with the same message and exit code 2.
import { Command, CommanderError, Option } from 'commander';
import { loadConfig, redactSecrets, type Config } from '../config/index.js';
import { CadreError } from '../errors/index.js';
import { createLogger } from '../observability/index.js';
import { createApiClient, type ClientOptions } from './api-client.js';
import {
  projectCreate,
  projectList,
  projectShow,
  projectUpdate,
  taskCreate,
  taskList,
  taskShow,
} from './commands/resources.js';
import { approvalDecide, approvalList } from './commands/approvals.js';
import { taskRetry } from './commands/retry.js';
import { projectBundle, taskPatch } from './commands/downloads.js';
import { createAndWatch, taskCancel, watchTask } from './commands/watch.js';
import { up } from './commands/up.js';
import { worker } from './commands/worker.js';
import { CliError, exitCodes } from './exit-codes.js';
import { version } from './paths.js';
import { openDatabase } from './runtime.js';

function config(options: { unsafeHostExec?: boolean } = {}): Config {
  // The flag is the same setting as CADRE_UNSAFE_HOST_EXEC, given on the command line.
  const env = options.unsafeHostExec
    ? { ...process.env, CADRE_UNSAFE_HOST_EXEC: 'true' }
    : process.env;
  return loadConfig({ env }).config;
}

const unsafeHostExec = new Option(
  '--unsafe-host-exec',
  "allow the host executor: agents' commands run WITHOUT isolation",
);

function client(command: Command) {
  return createApiClient(config(), command.optsWithGlobals<ClientOptions>());
}

const program = new Command('cadre')
  .description('Cadre: a team of AI agents that plans, writes, tests, reviews and merges code.')
  .version(version)
  .addOption(new Option('--url <url>', 'the Cadre server for resource commands').env('CADRE_URL'))
  .addOption(new Option('--key <key>', 'the API key for resource commands').env('CADRE_API_KEY'))
  .showHelpAfterError()
  .exitOverride();

program
  .command('up')
  .description('start the database, the API, the web app and workers, and print where to open them')
  .addOption(unsafeHostExec)
  .action(async (options: { unsafeHostExec?: boolean }) => {
    const settings = config(options);
    await up(settings, createLogger({ level: settings.log.level }));
  });

program
  .command('worker')
  .description('run workers against the database of a running `cadre up` or DATABASE_URL')
  .option('--count <n>', 'worker loops in this process', '1')
  .addOption(unsafeHostExec)
  .action(async (options: { count: string; unsafeHostExec?: boolean }) => {
    const count = Number(options.count);
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw new CliError('--count: expected a whole number from 1 to 64.', exitCodes.usage);
    }
    const settings = config(options);
    await worker(settings, createLogger({ level: settings.log.level }), count);
  });

program
  .command('migrate')
  .description('apply the database migrations and exit')
  .action(async () => {
    const settings = config();
    const handle = await openDatabase(settings, createLogger({ level: 'warn' }));
    await handle.stop();
    process.stdout.write('The database schema is up to date.\n');
  });

program
  .command('config')
  .description('print the effective configuration, secrets redacted')
  .action(() => {
    const { config: settings, file } = loadConfig();
    process.stdout.write(`# from ${file ?? 'defaults and environment variables'}\n`);
    process.stdout.write(JSON.stringify(redactSecrets(settings), null, 2) + '\n');
  });

const project = program.command('project').description('create, update and list projects');
withUpstreamOptions(
  project
    .command('create <name>')
    .description('create a project, optionally cloned from a repository')
    .option('--description <text>', 'what the project is')
    .option('--repo <url>', "clone the project's repository from this git URL (https or ssh)")
    .option('--path <dir>', 'import the repository from this server folder (an import root)'),
)
  .option('--confidential', 'never send anything of this project to a cloud model')
  .option('--test-command <command>', 'the command Cadre runs before each merge (default: detect)')
  .option('--allow-untested-merge', 'merge unverified when no test command is set or detected')
  .option('--json', 'print JSON')
  .action((name: string, options, command: Command) =>
    projectCreate(client(command), name, options),
  );
withUpstreamOptions(
  project
    .command('update <name-or-id>')
    .description("change a project's name, description, verification, upstream or delivery")
    .option('--name <name>', 'rename the project')
    .option('--description <text>', 'what the project is'),
)
  .option('--test-command <command>', 'the command Cadre runs before each merge')
  .option('--detect-test-command', 'forget the set command and detect it from the repository')
  .option('--allow-untested-merge', 'merge unverified when no test command is set or detected')
  .option('--no-allow-untested-merge', 'never merge unverified (the default)')
  .option('--json', 'print JSON')
  .action((reference: string, options, command: Command) =>
    projectUpdate(client(command), reference, options),
  );
project
  .command('show <name-or-id>')
  .description("print a project's remote, branch, delivery mode and settings")
  .option('--json', 'print JSON')
  .action((reference: string, options, command: Command) =>
    projectShow(client(command), reference, options),
  );
project
  .command('list')
  .description('list the projects')
  .option('--json', 'print JSON')
  .action((options, command: Command) => projectList(client(command), options));
project
  .command('bundle <name-or-id>')
  .description("save the project's base branch as a git bundle (clone it with: git clone <file>)")
  .requiredOption('-o, --output <file>', 'the file to write')
  .action((reference: string, options: { output: string }, command: Command) =>
    projectBundle(client(command), reference, options),
  );

const task = program.command('task').description('create, list and show tasks');
task
  .command('create <description>')
  .description('create a task from a description in plain language')
  .requiredOption('--project <name-or-id>', 'the project the task belongs to')
  .option('--title <title>', 'a short title (default: the first line of the description)')
  .option('--priority <n>', 'from -100 to 100; higher runs first')
  .option('--budget <usd>', 'the most the task may spend on models, in USD')
  .option(
    '--watch',
    'show its progress until it ends; exit 0 when done, 1 when failed or cancelled',
  )
  .option('--json', 'print JSON (with --watch: one JSON object a line)')
  .action(async (description: string, options, command: Command) => {
    if (!options.watch) return taskCreate(client(command), description, options);
    process.exitCode = await createAndWatch(client(command), description, options);
  });
task
  .command('list')
  .description('list tasks, newest first')
  .option('--project <name-or-id>', 'only this project')
  .option('--status <list>', 'only these statuses, comma-separated')
  .option('--limit <n>', 'at most this many (1-200)')
  .option('--cursor <cursor>', 'the page after a previous list')
  .option('--json', 'print JSON')
  .action((options, command: Command) => taskList(client(command), options));
task
  .command('show <id>')
  .description('show one task')
  .option('--json', 'print JSON')
  .action((id: string, options, command: Command) => taskShow(client(command), id, options));
task
  .command('patch <id>')
  .description(
    "print the task's committed work as a patch series, for git am (cadre task patch <id> > x.patch)",
  )
  .action((id: string, _options, command: Command) => taskPatch(client(command), id));
task
  .command('watch <id>')
  .description(
    "show a task's steps, agent turns, gates, approvals and spend until it ends; exit 0 when done, 1 when failed or cancelled",
  )
  .option('--json', 'print one JSON object a line: each event, then the summary')
  .action(async (id: string, options, command: Command) => {
    process.exitCode = await watchTask(client(command), id, options);
  });
task
  .command('cancel <id>')
  .description('cancel a task that has not finished, with its steps')
  .option('--json', 'print JSON')
  .action((id: string, options, command: Command) => taskCancel(client(command), id, options));
task
  .command('retry <id>')
  .description(
    'run a failed or cancelled task again: from its failed step (the steps before it kept), a chosen step, or the start',
  )
  .option('--from-step <key>', 'run this step again, with every step that depends on it')
  .option('--from-start', 'plan again from the start, on a fresh branch from the base')
  .option('--description <text>', 'a new description for the task')
  .option(
    '--watch',
    'show its progress until it ends; exit 0 when done, 1 when failed or cancelled',
  )
  .option('--json', 'print JSON (with --watch: one JSON object a line)')
  .action(async (id: string, options, command: Command) => {
    process.exitCode = await taskRetry(client(command), id, options);
  });

const approval = program
  .command('approval')
  .description('list, approve and reject the human gates of tasks');
approval
  .command('list')
  .description('list approvals, newest first (pending ones unless --status says otherwise)')
  .option('--task <id>', 'only this task')
  .option('--status <status>', 'pending, approved, rejected or all')
  .option('--json', 'print JSON')
  .action((options, command: Command) => approvalList(client(command), options));
for (const verdict of ['approve', 'reject'] as const) {
  approval
    .command(`${verdict} <id>`)
    .description(
      verdict === 'approve'
        ? 'approve: the held merge goes ahead, or the agent that asked continues'
        : 'reject: a held merge fails its task; an agent that asked reads the answer',
    )
    .option('--answer <text>', 'an answer to the question, or the reason')
    .option('--json', 'print JSON')
    .action((id: string, options, command: Command) =>
      approvalDecide(client(command), id, verdict, options),
    );
}

program.commands.forEach(function exitOverrideAll(command: Command) {
  command.exitOverride();
  command.commands.forEach(exitOverrideAll);
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`cadre: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof CadreError) {
    process.stderr.write(`cadre: ${error.message}\n`);
    if (error.code === 'DATABASE_UNAVAILABLE') return exitCodes.unreachable;
    return error.code.startsWith('CONFIG_') ? exitCodes.usage : exitCodes.failed;
  }
  process.stderr.write(
    `cadre: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return exitCodes.failed;
}

/** The options `project create` and `project update` share: the upstream and the delivery. */
function withUpstreamOptions(command: Command): Command {
  return command
    .option(
      '--branch <name>',
      'the upstream branch to start from and deliver to (default: its default branch)',
    )
    .option(
      '--token-env <variable>',
      'read the upstream HTTPS token from this environment variable',
    )
    .option('--token-stdin', 'read the upstream HTTPS token from standard input')
    .option('--username <name>', 'the user name sent with the token (default: x-access-token)')
    .option('--ssh-key-file <file>', 'an ssh deploy key (private key file) for an ssh URL')
    .option('--delivery <mode>', 'where finished work goes: local (default), push or pull-request')
    .option('--push-branch <name>', 'the upstream branch the push mode writes (default: --branch)')
    .option(
      '--host-kind <kind>',
      'the git host: github, gitlab or gitea (guessed for github.com, gitlab.com)',
    )
    .option('--host-api-url <url>', "the git host's REST API, e.g. https://gitea.example/api/v1")
    .option('--host-repository <owner/name>', 'the repository on the git host')
    .option(
      '--host-token-env <variable>',
      "read the git host's API token from this environment variable",
    );
}
