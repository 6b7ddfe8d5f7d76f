// One deadline per message, with the real engine (local ONNX tagger) and the real `llm` backends
// against the OpenAI emulator on 127.0.0.1 that hangs, refuses with a huge Retry-After, or sends
// null. The user always gets the local answer in time, with a warning saying what was left out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { createEngine, type Engine } from '../../src/app/engine.ts';
import { RecognitionCancelled } from '../../src/core/deadline.ts';
import type { Recognition } from '../../src/core/types.ts';
import { OpenAiEmulator, completion, httpError } from '../support/openai-emulator.ts';

let emu: OpenAiEmulator;
before(async () => (emu = await new OpenAiEmulator().start()));
after(async () => emu.stop());

const TEXT = 'Barack Obama met Angela Merkel in Berlin on Monday';
const client = () => ({ baseURL: emu.baseURL, model: 'emu-model', timeoutMs: 20_000, retries: 2, backoffMs: 10 });
const llm = () => ({ ...client(), structuredOutput: 'json_object' });

async function withEngine<T>(overrides: Record<string, unknown>, fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(
    loadConfig({
      overrides: {
        ocr: { backend: 'none' },
        cache: { enabled: false },
        limits: { deadline: { textMs: 800, reserveMs: 200 } },
        ...overrides,
      },
    }),
  );
  try {
    // The first call loads the ONNX model: done here, so the timed calls measure the deadline only.
    emu.reset().otherwise(completion('{"entities":[]}'));
    await engine.recognize({ text: 'warm up', language: 'en' });
    emu.reset();
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

async function timed(fn: () => Promise<Recognition>): Promise<{ r: Recognition; ms: number }> {
  const t = Date.now();
  const r = await fn();
  return { r, ms: Date.now() - t };
}

const localAnswered = (r: Recognition) => r.entities.some((e) => e.backend === 'local' && e.text === 'Barack Obama');

test('an LLM recognizer that hangs: the reply comes at the deadline with the local answer and a warning', async () => {
  await withEngine({ recognizer: { backends: ['local', 'llm'], llm: llm() } }, async (engine) => {
    emu.otherwise({ hang: true });
    const { r, ms } = await timed(() => engine.recognize({ text: TEXT, language: 'en' }));
    assert.ok(ms < 1500, `answered after ${ms} ms (deadline 800 ms)`);
    assert.ok(localAnswered(r), JSON.stringify(r.entities));
    const late = r.warnings.find((w) => w.code === 'deadline.exceeded' || /deadline/.test(w.message));
    assert.ok(late, `a warning names the deadline: ${JSON.stringify(r.warnings)}`);
    assert.equal(emu.chatRequests.length, 1, 'no retry past the deadline');
  });
});

test('knowledge that hangs does not hold the local recognizer past the deadline', async () => {
  await withEngine({ knowledge: { backend: 'llm', llm: client() }, recognizer: { backends: ['local'] } }, async (engine) => {
    emu.otherwise({ hang: true });
    const { r, ms } = await timed(() => engine.recognize({ text: TEXT, language: 'en' }));
    assert.ok(ms < 1500, `answered after ${ms} ms`);
    assert.ok(localAnswered(r), JSON.stringify(r.entities));
    assert.ok(
      r.warnings.some((w) => w.stage === 'knowledge'),
      JSON.stringify(r.warnings),
    );
  });
});

test('a 429 with Retry-After: 100000 is not waited for: the reply comes at once, saying why', async () => {
  await withEngine(
    { recognizer: { backends: ['llm'], fallback: 'local', llm: llm() }, limits: { deadline: { textMs: 5000 } } },
    async (engine) => {
      emu.otherwise({ ...httpError(429, 'slow down'), headers: { 'retry-after': '100000' } });
      const { r, ms } = await timed(() => engine.recognize({ text: TEXT, language: 'en' }));
      assert.ok(ms < 1500, `answered after ${ms} ms`);
      assert.equal(emu.chatRequests.length, 1);
      const failed = r.warnings.find((w) => w.code === 'recognizer.failed');
      assert.match(failed?.message ?? '', /retry after 100000 s, past the message deadline/);
      assert.ok(localAnswered(r), 'the fallback answered');
    },
  );
});

test('a caller that goes away cancels the message: recognize rejects at once and the LLM call is dropped', async () => {
  await withEngine({ recognizer: { backends: ['local', 'llm'], llm: llm() }, limits: { deadline: { textMs: 10_000 } } }, async (engine) => {
    emu.otherwise({ hang: true });
    const controller = new AbortController();
    const t = Date.now();
    setTimeout(() => controller.abort(), 150);
    await assert.rejects(engine.recognize({ text: TEXT, language: 'en' }, { signal: controller.signal }), RecognitionCancelled);
    assert.ok(Date.now() - t < 1000, `cancelled after ${Date.now() - t} ms`);
  });
});

test('an HTTP 400 from the LLM keeps the structured-output downgrade warnings', async () => {
  await withEngine(
    {
      recognizer: { backends: ['llm'], fallback: 'local', llm: { ...llm(), structuredOutput: 'auto' } },
      limits: { deadline: { textMs: 5000 } },
    },
    async (engine) => {
      emu.otherwise(httpError(400, 'bad request'));
      const r = await engine.recognize({ text: TEXT, language: 'en' });
      const codes = r.warnings.map((w) => w.code);
      assert.deepEqual(codes.filter((c) => c === 'llm.structured_output_fallback').length, 2, codes.join(', '));
      assert.ok(codes.includes('recognizer.failed') && codes.includes('recognizer.fallback'), codes.join(', '));
    },
  );
});

test('null content from the LLM is a warning, not a silent empty answer', async () => {
  await withEngine({ recognizer: { backends: ['llm', 'local'], llm: llm() }, limits: { deadline: { textMs: 5000 } } }, async (engine) => {
    const reply = completion('');
    (reply.json as { choices: { message: { content: string | null } }[] }).choices[0]!.message.content = null;
    emu.otherwise(reply);
    const r = await engine.recognize({ text: TEXT, language: 'en' });
    assert.ok(
      r.warnings.some((w) => w.code === 'llm.empty_answer'),
      JSON.stringify(r.warnings),
    );
    assert.ok(localAnswered(r));
  });
});

test('text past limits.textChars is cut with a warning; images past limits.imagesPerMessage are dropped with one', async () => {
  await withEngine({ recognizer: { backends: ['local'] }, limits: { textChars: { api: 30 }, imagesPerMessage: 0 } }, async (engine) => {
    const r = await engine.recognize({ text: TEXT, language: 'en', images: [{ kind: 'bytes', bytes: new Uint8Array([1, 2]) }] });
    assert.equal(r.text, TEXT.slice(0, 30));
    const codes = r.warnings.map((w) => w.code);
    assert.ok(codes.includes('text.truncated') && codes.includes('images.too_many'), codes.join(', '));
    const cut = await engine.recognize({ text: '😀'.repeat(20), language: 'en' }, { maxTextChars: 5 });
    assert.equal(cut.text, '😀😀', 'a surrogate pair is never split');
  });
});

const nullContent = () => {
  const reply = completion('');
  (reply.json as { choices: { message: { content: string | null } }[] }).choices[0]!.message.content = null;
  return reply;
};

test('knowledge the LLM answers with null or blank content is a warning, and an empty answer is not cached', async () => {
  await withEngine(
    {
      knowledge: { backend: 'llm', llm: client() },
      recognizer: { backends: ['local'] },
      cache: { enabled: true, url: 'memory://' },
      limits: { deadline: { textMs: 5000 } },
    },
    async (engine) => {
      emu.script(nullContent(), completion('   \n'));
      for (const _ of [1, 2]) {
        const r = await engine.recognize({ text: TEXT, language: 'en' });
        const empty = r.warnings.filter((w) => w.code === 'knowledge.empty');
        assert.equal(empty.length, 1, JSON.stringify(r.warnings));
        assert.equal(empty[0]!.stage, 'knowledge');
        assert.match(empty[0]!.message, /knowledge source "llm" gave no knowledge/);
        assert.ok(localAnswered(r), 'the tagger still answers, without knowledge');
      }
      // Neither empty answer was kept: the third message asks again, and real knowledge has no warning.
      emu.script(completion('Named entities: 1. Barack Obama (PER) Reasoning: a politician.'));
      const r = await engine.recognize({ text: TEXT, language: 'en' });
      assert.equal(emu.chatRequests.length, 3, 'each message asked the LLM');
      assert.ok(!r.warnings.some((w) => w.stage === 'knowledge'), JSON.stringify(r.warnings));
    },
  );
});

test('a captioner that answers null content gives a caption.empty warning for that image', async () => {
  const { drawTextLines } = await import('../support/draw.ts');
  const png = await drawTextLines(['hello'], 40);
  await withEngine(
    {
      captioner: { backend: 'openai', openai: client() },
      recognizer: { backends: ['local'] },
      limits: { deadline: { textMs: 5000, imagesMs: 5000 } },
    },
    async (engine) => {
      emu.script(nullContent());
      const r = await engine.recognize({ text: TEXT, language: 'en', images: [{ kind: 'bytes', bytes: png }] });
      const empty = r.warnings.filter((w) => w.code === 'caption.empty');
      assert.equal(empty.length, 1, JSON.stringify(r.warnings));
      assert.equal(empty[0]!.image, 0);
      assert.deepEqual(r.captions, []);
      emu.script(completion('A white card that says hello.'));
      const ok = await engine.recognize({
        text: TEXT,
        language: 'en',
        images: [{ kind: 'bytes', bytes: await drawTextLines(['other'], 40) }],
      });
      assert.ok(!ok.warnings.some((w) => w.stage === 'caption'), JSON.stringify(ok.warnings));
      assert.equal(ok.captions[0]?.text, 'A white card that says hello.');
    },
  );
});
