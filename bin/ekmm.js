#!/usr/bin/env node
// Entry point for `npx ekmm` and `npm start`: runs the compiled JavaScript in dist/ (`npm run
// build`; `npm ci` builds it through the prepare script), without tsx. The TypeScript sources
// run through tsx instead when
//   - EKMM_SOURCE=1 or EKMM_TEST=1 is set (the tests always run the sources they test), or
//   - dist/ is missing, or older than a source file (edited since the last build; a note says so).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist/src/cli/main.js');

/** Newest modification time of a .ts file under `dir` (a few hundred stats: about a millisecond). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function runtime() {
  if (process.env.EKMM_SOURCE === '1' || process.env.EKMM_TEST === '1') return 'source';
  if (!existsSync(compiled)) return 'source';
  // Every build rewrites every file, so the entry's time is the build's time.
  const built = statSync(compiled).mtimeMs;
  if (Math.max(newestSource(join(root, 'src')), newestSource(join(root, 'adapters'))) > built) {
    process.stderr.write('ekmm: dist/ is older than the sources; running them through tsx (npm run build refreshes it)\n');
    return 'source';
  }
  return 'compiled';
}

let main;
if (runtime() === 'compiled') {
  ({ main } = await import(new URL('../dist/src/cli/main.js', import.meta.url).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
