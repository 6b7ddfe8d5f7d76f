// Worker threads whose entry is one of our modules, under tsx and from dist/ alike (the OCR pool
// and the tagger pool both start theirs here).
import { Worker } from 'node:worker_threads';
import { isCompiled, siblingModule } from './module-url.ts';

/**
 * Starts a worker running `specifier` (relative to `callerUrl`, a caller's import.meta.url).
 * Compiled (dist/), the entry is plain JavaScript and loads directly. Under tsx it cannot: Node 20
 * workers do not inherit the parent's module hooks (and ignore `--import` in execArgv), so a small
 * bootstrap registers tsx in the worker before loading the TypeScript entry; a failure to load
 * is posted as `{ kind: 'load_failed', error }`, the message both pools' protocols expect.
 * The worker is unref'd: a pool's workers never keep the process alive on their own.
 */
export function startModuleWorker(specifier: string, callerUrl: string, workerData: unknown): Worker {
  const url = siblingModule(specifier, callerUrl);
  const worker = isCompiled(callerUrl)
    ? new Worker(url, { workerData, execArgv: [] })
    : new Worker(bootstrap(url), { eval: true, workerData, execArgv: [] });
  worker.unref();
  return worker;
}

function bootstrap(entry: URL): string {
  return `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })
  .catch((err) => { require('node:worker_threads').parentPort.postMessage({ kind: 'load_failed', error: String(err && err.stack || err) }); });`;
}
