#!/usr/bin/env node
// The `cadre` command. It runs the compiled CLI; `npm install` builds it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('cadre: the compiled CLI is missing; run `npm run build` in the cadre folder.');
  process.exit(2);
}
await import(main.href);
