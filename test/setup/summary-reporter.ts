// Ends the run with one plain line of counts, and, under CI, fails a run that skipped a test:
// CI must run every test.
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else {
          counts.skipped++;
          skipped.push(`${relative(process.cwd(), module.moduleId)} > ${test.fullName}`);
        }
      }
    }
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
    if (process.env.CI && skipped.length > 0) {
      process.stdout.write(`Skipped tests fail the run under CI:\n  ${skipped.join('\n  ')}\n`);
      process.exitCode = 1;
    }
  }
}
