// `npm run bench:gateway`: the latency the LLM gateway adds over calling the same fake model
// server directly through the same AI SDK provider, streaming and not, in interleaved runs.
// Writes its section of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { Registry } from 'prom-client';
import { Config } from '../src/config/index.js';
import { connectDatabase, migrate, startEmbeddedPostgres, tables } from '../src/db/index.js';
import { createGateway } from '../src/llm/index.js';
import { createLogger } from '../src/observability/index.js';
import { createFakeModelServer } from '../test/fakes/model-server.js';
import { median, percentile, writeSection } from './support/report.js';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 2000);
const warmup = 200;
const messages = [{ role: 'user' as const, content: 'Say hello to the benchmark.' }];

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'cadre-bench-gateway-'));
  const postgres = await startEmbeddedPostgres({ dataDir });
  const database = connectDatabase({ url: postgres.url });
  const fake = await createFakeModelServer();
  try {
    await migrate(database.pool);
    const [org] = await database.db
      .insert(tables.organizations)
      .values({ name: 'bench', slug: `bench-${Date.now()}` })
      .returning();
    fake.setFallback({
      kind: 'reply',
      reply: { text: ['Hello', ', ', 'bench', '!'], usage: { input: 12, output: 4 } },
    });
    const baseURL = `${fake.url}/v1`;
    const config = Config.parse({
      dataDir,
      models: {
        endpoints: {
          fake: { kind: 'openai', baseUrl: baseURL, apiKey: 'bench', privacy: 'cloud' },
        },
        catalog: [
          {
            id: 'fake/model',
            endpoint: 'fake',
            providerModelId: 'fake-model',
            maxOutputTokens: 256,
          },
        ],
      },
    });
    const gateway = createGateway({
      config,
      db: database.db,
      logger: createLogger({ level: 'silent' }),
      registry: new Registry(),
    });
    const direct = createOpenAI({ baseURL, apiKey: 'bench' }).chat('fake-model');
    const context = { orgId: org!.id };
    const variants = {
      generate: {
        direct: async () => {
          await generateText({ model: direct, messages, maxOutputTokens: 256, maxRetries: 0 });
        },
        gateway: async () => {
          await gateway.generate({ messages, context });
        },
      },
      stream: {
        direct: async () => {
          const result = streamText({
            model: direct,
            messages,
            maxOutputTokens: 256,
            maxRetries: 0,
          });
          for await (const part of result.fullStream) void part;
        },
        gateway: async () => {
          for await (const event of gateway.stream({ messages, context })) void event;
        },
      },
    };
    const rows: string[] = [];
    for (const [name, pair] of Object.entries(variants)) {
      const timings = await interleave(pair.direct, pair.gateway);
      rows.push(row(name, timings));
      console.log(row(name, timings));
    }
    await gateway.close();
    const ledgerRows = await database.db.$count(tables.llmCalls);
    await writeSection('LLM gateway (npm run bench:gateway)', report(rows, ledgerRows));
  } finally {
    await fake.close();
    await database.close();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs both sides alternately (which goes first alternates too); returns ms per call. */
async function interleave(direct: () => Promise<void>, viaGateway: () => Promise<void>) {
  const timings = { direct: [] as number[], gateway: [] as number[] };
  const timed = async (run: () => Promise<void>, into: number[] | null) => {
    const start = performance.now();
    await run();
    into?.push(performance.now() - start);
  };
  for (let index = 0; index < warmup + iterations; index += 1) {
    const isMeasured = index >= warmup;
    const order =
      index % 2 === 0 ? (['direct', 'gateway'] as const) : (['gateway', 'direct'] as const);
    for (const side of order) {
      await timed(side === 'direct' ? direct : viaGateway, isMeasured ? timings[side] : null);
    }
  }
  return timings;
}

function row(name: string, timings: { direct: number[]; gateway: number[] }): string {
  const figures = [
    median(timings.direct),
    median(timings.gateway),
    median(timings.gateway) - median(timings.direct),
    percentile(timings.direct, 99),
    percentile(timings.gateway, 99),
    percentile(timings.gateway, 99) - percentile(timings.direct, 99),
  ].map((value) => value.toFixed(3));
  return `| ${name} | ${figures.join(' | ')} |`;
}

function report(rows: string[], ledgerRows: number): string {
  const expectedRows = 2 * (iterations + warmup);
  const memory = execFileSync('free', ['-h'])
    .toString()
    .split('\n')[1]
    ?.replace(/\s+/g, ' ')
    .trim();
  const cores = execFileSync('nproc').toString().trim();
  return `
nproc ${cores}; free -h: \`${memory}\`.

${iterations} calls each way after ${warmup} warm-up calls, alternating direct and gateway (and
which goes first). "Direct" calls the fake OpenAI chat-completions server on 127.0.0.1 through
the same AI SDK provider; "gateway" adds the call's scope (project confidentiality and
budgets, kept in memory and dropped by Postgres notifications), routing, breakers, health,
metrics and the ledger (each attempt's row written to the embedded Postgres, in one round
trip that does not wait for the WAL flush, before the answer is returned:
${ledgerRows} of ${expectedRows} rows were in \`llm_calls\` at the end). Times in ms per whole
call (for streams, until the last event). Load average at the end: ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')} (the machine is shared, which mostly shows in the p99 of both sides).

| Call | Direct p50 | Gateway p50 | Added p50 | Direct p99 | Gateway p99 | Added p99 |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Target: at most 1 ms added at the median and 5 ms at p99.
`;
}

await main();
