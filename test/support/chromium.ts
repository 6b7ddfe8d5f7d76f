// The one way the page tests find and start Debian's Chromium (never a downloaded browser).
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and no background connections: the machine's closed network refuses them. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser is there. With CI set a missing browser is a failure, not a skip: the pages
 * must be checked there (scripts/install-system-deps.sh installs it); elsewhere the test is skipped.
 */
export function chromiumAvailable(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is not installed (CI is set); run scripts/install-system-deps.sh`);
  t.skip(`${CHROMIUM} is not installed (run scripts/install-system-deps.sh)`);
  return false;
}
