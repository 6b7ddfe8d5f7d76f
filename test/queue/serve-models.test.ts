// `ekmm serve` with queue.url set enqueues and lets `ekmm worker` recognize: it must not load the
// models it would never use. A spy plugin wraps the real ppocr backend's factory (which reads the
// ONNX files) and counts how often the app asks for it; a real redis-server backs the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { createApp } from '../../src/app/app.ts';
import type { Plugin } from '../../src/core/registry.ts';
import { PpOcr } from '../../src/ocr/ppocr.ts';
import { startRedis } from '../support/redis.ts';
import { createLogger } from '../../src/observability/logger.ts';

const quiet = createLogger({ level: 'silent' });

function spyConfig(queueUrl: string | undefined) {
  return loadConfig({
    env: {},
    overrides: {
      cache: { enabled: false },
      stats: { url: 'memory://' },
      ocr: { backend: 'ppocr-spy' },
      recognizer: { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: { LOC: ['Paris'] } } },
      ...(queueUrl ? { queue: { url: queueUrl, name: `models-${process.pid}-${Math.random().toString(36).slice(2, 8)}` } } : {}),
    },
  });
}

function spy(): { plugin: Plugin; loads: () => number } {
  let loads = 0;
  return {
    plugin: (r) =>
      r.ocr.register('ppocr-spy', async (ctx) => {
        loads++;
        return PpOcr.create(ctx.config.ocr);
      }),
    loads: () => loads,
  };
}

test('serve with queue.url starts without loading the models; in-process serve loads them at start', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  if (!redis) return;

  const queued = spy();
  const app = await createApp(spyConfig(redis.url), { plugins: [queued.plugin], logger: quiet });
  try {
    assert.equal(queued.loads(), 0, 'no OCR model loaded by a serve whose workers recognize');
    assert.ok(!app.readiness.names().includes('models'), `readiness checks: ${app.readiness.names().join(', ')}`);
    assert.ok(app.readiness.names().includes('executor:bullmq'));
    assert.deepEqual(app.engine.backends.ocr, 'ppocr-spy', '/healthz still names the configured backends');
    // Should something in this process recognize after all, the stages are built then, once.
    const r = await app.engine.recognize({ text: 'Paris', language: 'en' });
    assert.deepEqual(
      r.entities.map((e) => e.text),
      ['Paris'],
    );
    await app.engine.recognize({ text: 'Paris again', language: 'en' });
    assert.equal(queued.loads(), 1);
  } finally {
    await app.close();
  }

  const inProcess = spy();
  const local = await createApp(spyConfig(undefined), { plugins: [inProcess.plugin], logger: quiet });
  try {
    assert.equal(inProcess.loads(), 1, 'in-process, the models load before anything listens');
    assert.ok(local.readiness.names().includes('models'));
  } finally {
    await local.close();
  }
});
