// Reads a run to its end and gathers its output, for callers that want one answer rather
// than a stream (tools, tests, the exec route). It never hides a truncation.
import type { RunHandle, RunResult } from './types.js';

/** A finished run with its whole (capped) output. */
export interface CollectedRun extends RunResult {
  stdout: string;
  stderr: string;
}

/** Waits for `handle` to finish and returns its output beside its result. */
export async function collectRun(handle: RunHandle): Promise<CollectedRun> {
  let stdout = '';
  let stderr = '';
  for await (const event of handle.events) {
    if (event.type === 'stdout') stdout += event.data;
    else if (event.type === 'stderr') stderr += event.data;
  }
  return { ...(await handle.result), stdout, stderr };
}
