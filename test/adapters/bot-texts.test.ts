// The bots' fixed texts: every key of the table exists in English and Chinese (and the Chinese is
// Chinese, not an English copy), and no adapter builds a prose reply inline: every string literal
// in the chat adapters that reads like a sentence must sit in a log line, an error, or a retry
// label, never in something sent to a user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import ts from 'typescript';
import { BOT_LANGUAGES, botLanguage, botTexts, type BotTexts } from '../../adapters/shared/bot-texts.ts';
import type { Refusal } from '../../src/host/index.ts';

/** Arguments to render each key with; a key added to the table without samples fails to compile here. */
type Samples = { [K in keyof BotTexts]: BotTexts[K] extends (...args: infer A) => string ? A[] : null };

const REFUSALS: Refusal[] = ['user_rate', 'community_rate', 'queue_full'];
const SAMPLES: Samples = {
  help: [[{ platform: 'discord', retentionDays: 90 }], [{ platform: 'telegram', retentionDays: 30 }]],
  imageTooLarge: [
    [1, 20 * 1024 * 1024],
    [3, 5 * 1024 * 1024],
  ],
  imagesPastLimit: [[0], [1], [4]],
  imageUnreadable: [[1], [2]],
  dashboardLink: [['Guild', 'http://127.0.0.1/dashboard#t=x', new Date(0)]],
  dashboardModeratorsOnly: null,
  dashboardSentPrivately: null,
  startPrivateChat: [['ekmm_bot', '/stats']],
  dashboardInGroup: null,
  statsSentPrivately: null,
  noEntities: null,
  moreOmitted: [[5]],
  statsHeading: [[{ days: 1 }], [{ days: 7, channel: 'general' }], [{ days: 30, community: 'Friends' }]],
  statsEmpty: null,
  statsModeratorsOnly: [['discord'], ['telegram']],
  configModeratorsOnly: null,
  configSummary: [[{ mode: 'auto', language: 'zh', channels: ['<#1>', '<#2>'] }], [{ mode: 'passive', language: 'auto', channels: [] }]],
  failed: null,
  nothingToLookAt: null,
  refusal: REFUSALS.map((r) => [r, 12] as [Refusal, number]),
  start: null,
  modeInPrivate: null,
  modeAdminsOnly: null,
  modeCurrent: [['auto']],
  modeUnknown: [['loud']],
  modeSet: [['passive']],
  languageAdminsOnly: null,
  languageCurrent: [
    ['auto', 'en'],
    ['zh', 'zh'],
  ],
  languageUnknown: [['xx']],
  languageSet: [
    ['en', 'en'],
    ['auto', 'zh'],
  ],
  telegramCommands: null,
  discordCommands: null,
  watchDiscordModeratorsOnly: null,
  watchTelegramAdminsOnly: null,
  watchUsage: [
    ['discord', ['PER', 'LOC']],
    ['telegram', ['PER', 'LOC']],
  ],
  watchInputError: [
    ['unknown-type', 'DATE', ['PER', 'LOC']],
    ['too-long', '200', ['PER']],
    ['empty', '', ['PER']],
  ],
  watchAdded: [['Taylor Swift']],
  watchAlreadyWatched: [['type:PER']],
  watchFull: [[200]],
  watchRemoved: [['Taylor Swift']],
  watchNotWatched: [['Nobody']],
  watchList: [
    [['Taylor Swift', 'type:LOC'], 'Alerts go to <#1>.'],
    [[], 'Alerts go to <#1>.'],
  ],
  watchDiscordAlertsTo: [['<#1>']],
  watchDiscordNoAlertChannel: null,
  watchDiscordAlertChannelUnusable: [['<#1>']],
  watchTelegramAlertsTo: [[0], [1], [3]],
  watchTelegramAlertsOn: [['chat'], ['all']],
  watchTelegramAlertsOff: [['chat'], ['all']],
  watchAlert: [
    [{ entity: 'Taylor Swift', type: 'PER', where: '<#1>', fromImage: true, fromText: false, link: 'https://discord.com/channels/1/2/3' }],
    [{ entity: 'Paris', type: 'LOC', where: '"Friends"', fromImage: true, fromText: true }],
    [{ entity: 'Paris', type: 'LOC', where: '"Friends"', fromImage: false, fromText: true }],
  ],
};

/** Every text a key produces in a language, with where it came from. */
function rendered(texts: BotTexts, key: keyof BotTexts): { where: string; text: string }[] {
  const value = texts[key] as unknown;
  if (typeof value === 'string') return [{ where: key, text: value }];
  if (typeof value === 'function') {
    const samples = SAMPLES[key] as unknown[][] | null;
    assert.ok(samples?.length, `test SAMPLES has no arguments for ${key}`);
    return samples.map((args, i) => ({ where: `${key}#${i}`, text: (value as (...a: unknown[]) => string)(...args) }));
  }
  return Object.entries(value as Record<string, string>).map(([k, text]) => ({ where: `${key}.${k}`, text }));
}

const CJK = /[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/;
// Kept the same in Chinese on purpose: option values users type (auto) are not translated.
const SAME_IN_BOTH = new Set(['discordCommands.languageAuto']);

test('every text exists in English and Chinese, and the Chinese is Chinese', () => {
  const en = botTexts('en');
  const zh = botTexts('zh');
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort(), 'the same keys in both tables');
  assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(en).sort(), 'samples for every key');
  for (const key of Object.keys(en) as (keyof BotTexts)[]) {
    const enOut = rendered(en, key);
    const zhOut = rendered(zh, key);
    assert.deepEqual(
      zhOut.map((o) => o.where),
      enOut.map((o) => o.where),
      `${key}: the same sub-keys`,
    );
    for (const [i, e] of enOut.entries()) {
      const z = zhOut[i]!;
      assert.ok(e.text.trim(), `${e.where} (en) is empty`);
      assert.ok(z.text.trim(), `${z.where} (zh) is empty`);
      assert.doesNotMatch(e.text, CJK, `${e.where} (en) has Chinese in it: ${e.text}`);
      if (SAME_IN_BOTH.has(e.where)) continue;
      assert.match(z.text, CJK, `${z.where} (zh) is not Chinese: ${z.text}`);
      assert.notEqual(z.text, e.text, `${e.where} is the same in both languages`);
    }
  }
  // The refusal texts keep their one number (the wait) in both languages.
  for (const language of BOT_LANGUAGES)
    for (const r of ['user_rate', 'community_rate'] as const) assert.match(botTexts(language).refusal(r, 12), /12/);
});

test('the reply language: the community setting when it is en or zh, else the platform locale', () => {
  assert.equal(botLanguage('zh', 'en-US'), 'zh');
  assert.equal(botLanguage('en', 'zh-CN'), 'en');
  assert.equal(botLanguage('auto', 'zh-TW'), 'zh');
  assert.equal(botLanguage(undefined, 'zh-hans'), 'zh');
  assert.equal(botLanguage(undefined, 'de'), 'en');
  assert.equal(botLanguage(undefined, undefined), 'en');
});

// ---- No prose built inline in the chat adapters ------------------------------------------------

const ADAPTER_DIRS = ['adapters/discord', 'adapters/telegram', 'adapters/shared'];
const TABLE_FILE = 'adapters/shared/bot-texts.ts';
/** Two words in a row, or any Chinese: a sentence or phrase, not a key, an id, a path or a route. */
const PROSE = /[A-Za-z]{2,}[,:;.!?]?\s+[A-Za-z]{2,}|[\u3400-\u9fff]/;
/** Calls whose string arguments are for operators, not users: log lines, readiness reasons, retry labels. */
const OPERATOR_CALLS = new Set(['warn', 'info', 'error', 'debug', 'trace', 'fatal', 'down', 'call', 'withRetry', 'stop']);

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
  return undefined;
}

function calleeName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** The literal is (inside) an operator call's argument, an Error, or a throw. */
function forOperators(node: ts.Node): boolean {
  for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
    if (ts.isNewExpression(at) && ts.isIdentifier(at.expression) && /Error$/.test(at.expression.text)) return true;
    if (ts.isThrowStatement(at)) return true;
    if (ts.isCallExpression(at) && at.arguments.some((a) => a.pos <= node.pos && node.end <= a.end)) {
      const name = calleeName(at);
      if (name && OPERATOR_CALLS.has(name)) return true;
    }
    if (ts.isFunctionLike(at) || ts.isSourceFile(at)) return false;
  }
  return false;
}

function inlineProse(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    const text = literalText(node);
    if (text !== undefined) {
      if (PROSE.test(text) && !forOperators(node)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${file}:${line + 1}: ${JSON.stringify(text)}`);
      }
      if (!ts.isTemplateExpression(node)) return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function adapterFiles(): string[] {
  return ADAPTER_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f)),
  ).filter((f) => f !== TABLE_FILE);
}

test('no chat adapter builds a prose reply inline: user-facing texts come from bot-texts.ts', () => {
  const files = adapterFiles();
  assert.ok(files.includes('adapters/discord/index.ts') && files.includes('adapters/telegram/index.ts'));
  assert.deepEqual(files.flatMap(inlineProse), []);
});

test('the inline-prose check finds what it is meant to find', () => {
  const dir = join(tmpdir(), `ekmm-prose-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    const file = join(dir, 'sample.ts');
    writeFileSync(
      file,
      [
        "log.warn('discord message failed: it was too long');",
        "throw new Error('Telegram bot token missing: set it');",
        "await call('interaction reply', () => i.reply({ content: 'Only moderators can see this.' }));",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample source holds a template literal
        'await reply(chat, id, `Mode: ${mode}. Set it with /mode`);',
        "const key = 'telegram:chat:v1';",
        "await reply(chat, id, '只有管理员');",
      ].join('\n'),
    );
    const found = inlineProse(file);
    assert.equal(found.length, 3, found.join('\n'));
    assert.match(found[0]!, /sample\.ts:3: "Only moderators can see this\."/);
    assert.match(found[1]!, /sample\.ts:4: "Mode: {2}\. Set it with \/mode"/);
    assert.match(found[2]!, /sample\.ts:6: "只有管理员"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
