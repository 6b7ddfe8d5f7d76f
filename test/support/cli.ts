// Runs the `ekmm` command as a user does: bin/ekmm.js in a child process from the project root.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export function ekmm(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
