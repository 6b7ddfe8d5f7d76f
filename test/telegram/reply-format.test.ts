import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeTelegramMarkdownV2, escapeDiscordMarkdown } from '../../adapters/shared/markdown.ts';
import {
  formatDiscordReply,
  formatDiscordTop,
  formatTelegramReply,
  formatTelegramTop,
  groupEntities,
} from '../../adapters/shared/reply-format.ts';
import type { Entity } from '../../src/core/types.ts';
import { parseMarkdownV2 } from '../support/telegram-emulator.ts';

const RESERVED = '_*[]()~`>#+-=|{}.!\\';

function entity(text: string, type: string, source: Entity['source'] = 'text'): Entity {
  return { text, type, start: 0, end: text.length, source, backend: 'test' };
}

test('MarkdownV2 escaping: every reserved character and the backslash come through as typed', () => {
  for (const c of RESERVED) {
    const raw = `a${c}b${c}${c}`;
    const parsed = parseMarkdownV2(escapeTelegramMarkdownV2(raw));
    assert.deepEqual(parsed, { plain: raw }, `character ${c}`);
  }
  // Random mixes of reserved characters, letters, spaces and non-ASCII.
  const alphabet = `${RESERVED}ab Z9é北🖼\n`;
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    const raw = Array.from({ length: 1 + Math.floor(rand() * 20) }, () => [...alphabet][Math.floor(rand() * [...alphabet].length)]).join(
      '',
    );
    assert.deepEqual(parseMarkdownV2(escapeTelegramMarkdownV2(raw)), { plain: raw }, JSON.stringify(raw));
  }
});

test('the emulator rejects what Telegram rejects', () => {
  assert.ok('error' in parseMarkdownV2('Hello.'), "expected 'error' in parseMarkdownV2('Hello.')");
  assert.ok('error' in parseMarkdownV2('*unclosed'), "expected 'error' in parseMarkdownV2('*unclosed')");
  assert.ok('error' in parseMarkdownV2('trailing\\'), "expected 'error' in parseMarkdownV2('trailing\\\\')");
});

test('replies group by type in configured order, merge duplicates and mark image entities', () => {
  const groups = groupEntities(
    [
      entity('Paris', 'LOC', 'ocr'),
      entity('Barack  Obama', 'PER'),
      entity('paris', 'LOC', 'text'),
      entity('ACME', 'CUSTOM'),
      entity('Obama', 'PER', 'caption'),
    ],
    ['PER', 'LOC', 'ORG', 'OTHER'],
  );
  assert.deepEqual(groups, [
    {
      type: 'PER',
      items: [
        { text: 'Barack Obama', inImage: false },
        { text: 'Obama', inImage: true },
      ],
    },
    { type: 'LOC', items: [{ text: 'Paris', inImage: true }] },
    { type: 'CUSTOM', items: [{ text: 'ACME', inImage: false }] },
  ]);
  const tg = formatTelegramReply(groups, 'en');
  assert.equal(tg, '*PER*: Barack Obama, Obama 🖼\n*LOC*: Paris 🖼\n*CUSTOM*: ACME');
  assert.equal(formatDiscordReply(groups, 'en'), '**PER**: Barack Obama, Obama 🖼\n**LOC**: Paris 🖼\n**CUSTOM**: ACME');
});

test('entity texts with markup cannot break or inject formatting', () => {
  const groups = groupEntities([entity('*bold* [x](http://e.x) <@123> C++ v1.0!', 'ORG')], ['ORG']);
  const tg = formatTelegramReply(groups, 'en');
  assert.deepEqual(parseMarkdownV2(tg), { plain: 'ORG: *bold* [x](http://e.x) <@123> C++ v1.0!' });
  assert.equal(formatDiscordReply(groups, 'en'), '**ORG**: \\*bold\\* \\[x\\](http://e.x) \\<\\@123> C++ v1.0!');
  assert.equal(escapeDiscordMarkdown('a_b~c|d`e'), 'a\\_b\\~c\\|d\\`e');
});

test('long replies stay under the platform limit and say how much was left out', () => {
  const many = Array.from({ length: 400 }, (_, i) => entity(`Entity number ${i} with a long name`, i % 2 ? 'PER' : 'ORG'));
  const types = Array.from({ length: 400 }, (_, i) => `T${i}`);
  const manyTypes = many.map((e, i) => ({ ...e, type: types[i]! }));
  const tg = formatTelegramReply(groupEntities(manyTypes, types), 'en');
  assert.ok(tg.length <= 4096, 'expected tg.length <= 4096');
  assert.match(tg, /…and \d+ more$/);
  assert.ok(!('error' in parseMarkdownV2(tg)), "expected !('error' in parseMarkdownV2(tg))");
  const top = formatTelegramTop({ PER: [{ label: 'a.b', count: 2 }] }, 'Top (7 days)', 'en');
  assert.deepEqual(parseMarkdownV2(top), { plain: 'Top (7 days)\nPER: a.b (2)' });
  const zh = formatTelegramReply(groupEntities(manyTypes, types), 'zh');
  assert.match(zh, /……另有 \d+ 个$/);
  assert.ok(!('error' in parseMarkdownV2(zh)));
});

test('/stats lines show each entity by its surface form (label), not the folded key; empty windows say so in the chat language', () => {
  const top = { PER: [{ entity: 'taylor swift', label: 'Taylor Swift', count: 3 }] };
  assert.equal(formatDiscordTop(top, 'Top', 'en'), '**Top**\n**PER**: Taylor Swift (3)');
  assert.deepEqual(parseMarkdownV2(formatTelegramTop(top, 'Top', 'en')), { plain: 'Top\nPER: Taylor Swift (3)' });
  assert.deepEqual(parseMarkdownV2(formatTelegramTop({}, '最近 7 天最常出现的名称', 'zh')), {
    plain: '最近 7 天最常出现的名称\n这段时间还没有统计到名称。',
  });
  assert.equal(formatDiscordReply([], 'zh'), '没有找到命名实体。');
});
