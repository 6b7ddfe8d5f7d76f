// Names wrapped over poster lines: how many the local recognizer finds whole when it reads OCR
// line by line (before) and block by block (after), on the same OCR output, plus the unwrapped
// sentence as the ceiling. Drawn posters (test/support/draw.ts), real PP-OCRv4.
//   nice -n 10 npx tsx bench/wrapped-names.ts
import sharp from 'sharp';
import { createRegistries } from '../src/core/registry.ts';
import { loadConfig, projectPath } from '../src/config/load.ts';
import registerOcr from '../src/ocr/register.ts';
import { groupLines } from '../src/core/ocr-blocks.ts';
import { languageOf } from '../src/core/language.ts';
import { LocalRecognizer } from '../src/recognizers/local/recognizer.ts';
import type { PreparedImage } from '../src/core/stages.ts';
import type { OcrLine } from '../src/core/types.ts';
import { drawPoster } from '../test/support/draw.ts';
import { OTHER_BLOCK, wrappedCases } from '../test/ocr/wrapped-names.ts';

const registries = createRegistries();
await registerOcr(registries);
const ocr = await registries.ocr.create('ppocr', { config: loadConfig({ skipDefaultFile: true, env: {} }), registries });
const local = (blocks: boolean) =>
  new LocalRecognizer({
    models: { en: projectPath('models/ner-en'), zh: projectPath('models/ner-zh') },
    tagOcr: true,
    tagCaptions: false,
    typeAliases: { MISC: 'OTHER' },
    entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
    blocks,
  });
const before = local(false);
const after = local(true);

const cases = wrappedCases();
const tally = { ceiling: 0, before: 0, after: 0, blocksRight: 0 };
const perLanguage = new Map<string, { n: number; ceiling: number; before: number; after: number }>();
for (const c of cases) {
  const png = await drawPoster([{ lines: c.lines, anchor: c.anchor }, OTHER_BLOCK]);
  const meta = await sharp(png).metadata();
  const img: PreparedImage = { index: 0, png, width: meta.width!, height: meta.height!, format: 'png', sha256: 'bench' };
  const [read = []] = await ocr.read([img], c.language);
  const lines: OcrLine[] = read.map((l) => ({ ...l, language: languageOf(l.text) }));
  const blocks = groupLines(lines);
  // The name block's lines together, the other block on its own.
  if (blocks.length === 2 && blocks[0]!.lines.length === c.lines.length) tally.blocksRight++;
  const joiner = c.language === 'zh' ? '' : ' ';
  const has = (entities: { text: string; type: string }[]) => entities.some((e) => e.type === c.name.type && e.text === c.name.text);
  const [b] = await before.recognize([{ text: '', language: 'en', ocr: lines, captions: [] }]);
  const [a] = await after.recognize([{ text: '', language: 'en', ocr: lines, captions: [], ocrBlocks: blocks }]);
  const [ceil] = await before.recognize([{ text: c.lines.join(joiner), language: c.language, ocr: [], captions: [] }]);
  const row = perLanguage.get(c.language) ?? { n: 0, ceiling: 0, before: 0, after: 0 };
  row.n++;
  if (has(ceil!.entities)) tally.ceiling++, row.ceiling++;
  if (has(b!.entities)) tally.before++, row.before++;
  if (has(a!.entities)) tally.after++, row.after++;
  perLanguage.set(c.language, row);
  if (process.argv.includes('--verbose')) {
    console.log(
      JSON.stringify(c.lines),
      '| read:',
      lines.map((l) => l.text).join(' / '),
      '| before:',
      b!.entities.map((e) => e.text).join(', '),
      '| after:',
      a!.entities.map((e) => e.text).join(', '),
    );
  }
}
await ocr.close?.();
await before.close();
await after.close();
console.log(`names wrapped over two poster lines: ${cases.length} posters, one name each (drawn, PP-OCRv4, local tagger)`);
console.log('| language | posters | unwrapped sentence (ceiling) | OCR line by line (before) | OCR blocks (after) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [lang, r] of perLanguage) console.log(`| ${lang} | ${r.n} | ${r.ceiling} | ${r.before} | ${r.after} |`);
console.log(`| all | ${cases.length} | ${tally.ceiling} | ${tally.before} | ${tally.after} |`);
console.log(`posters whose name lines formed one block and the other block stayed apart: ${tally.blocksRight} of ${cases.length}`);
