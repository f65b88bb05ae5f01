// The compiler copies no SQL: put the committed migrations beside the compiled migrator.
import { cpSync } from 'node:fs';

cpSync('src/db/migrations', 'dist/src/db/migrations', { recursive: true });
