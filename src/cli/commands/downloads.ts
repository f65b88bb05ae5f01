// `cadre task patch` and `cadre project bundle`: a task's work as a patch series on stdout, a
// project's base branch as a git bundle in a file, both streamed from the API.
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { ApiClient } from '../api-client.js';
import { resolveProject } from './resources.js';

/** Writes the task's committed work, as `git format-patch` output, to stdout. */
export async function taskPatch(client: ApiClient, id: string) {
  const response = await client.download(`/api/tasks/${encodeURIComponent(id)}/patch`);
  await pipeline(bodyOf(response), process.stdout, { end: false });
}

/** Saves the project's base branch as a git bundle in `options.output`, whole or not at all. */
export async function projectBundle(
  client: ApiClient,
  reference: string,
  options: { output: string },
) {
  const id = await resolveProject(client, reference);
  const response = await client.download(`/api/projects/${id}/bundle`);
  // A broken download leaves no file that looks like a bundle.
  const partial = `${options.output}.partial`;
  try {
    await pipeline(bodyOf(response), createWriteStream(partial));
    await rename(partial, options.output);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  const { size } = await stat(options.output);
  const branch = response.headers.get('x-cadre-base-branch') ?? 'the base branch';
  process.stdout.write(
    `Wrote ${options.output} (${size} bytes, ${branch}). Check it with: git bundle verify ${options.output}\n`,
  );
}

function bodyOf(response: Response): Readable {
  if (!response.body) return Readable.from([]);
  return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
}
