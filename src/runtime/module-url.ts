// The same sources run two ways: as TypeScript under tsx (tests, development) and as the
// JavaScript `npm run build` emits into dist/ (npm start, npx ekmm). Static imports are rewritten
// by the compiler (rewriteRelativeImportExtensions); the few modules loaded by a computed URL
// (commands, bot adapters, worker threads) go through here.

/** True when `moduleUrl` (a caller's import.meta.url) is compiled JavaScript. */
export function isCompiled(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.js');
}

/** A module's URL relative to the caller: `./serve.ts` under tsx, `./serve.js` from dist/. */
export function siblingModule(specifier: string, callerUrl: string): URL {
  return new URL(isCompiled(callerUrl) ? specifier.replace(/\.ts$/, '.js') : specifier, callerUrl);
}
