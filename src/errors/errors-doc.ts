// Renders docs/errors.md from the registry, so that the list users read is the list we answer with.
import { errorCodes } from './codes.js';

/** The Markdown page listing every error code. */
export function renderErrorsDoc(): string {
  const rows = Object.entries(errorCodes).map(
    ([code, { status, summary }]) => `| \`${code}\` | ${status} | ${summary} |`,
  );
  return [
    '# Error codes',
    '',
    'Every failure of the API is `{ "error": { "code", "message", "details" } }`. The `code` is',
    'stable: match on it, not on the message. The message names the field, object or limit',
    'concerned and what to do next. This page is generated from `src/errors/codes.ts`',
    '(`npm run docs:errors`).',
    '',
    '| Code | HTTP status | Meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
