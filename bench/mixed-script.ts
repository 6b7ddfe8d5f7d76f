// Scores the local recognizer's mixed-script policies (none / runs / runs-exclusive) on the
// written mixed-script messages in test/core/mixed-script-cases.ts: exact text + type matches.
//   npx tsx bench/mixed-script.ts
import { LocalRecognizer, type MixedScriptPolicy } from '../src/recognizers/local/recognizer.ts';
import { detectLanguage } from '../src/core/language.ts';
import { projectPath } from '../src/config/load.ts';
import { MIXED_SCRIPT_CASES } from '../test/core/mixed-script-cases.ts';

const policies: MixedScriptPolicy[] = ['none', 'runs', 'runs-exclusive'];
const rows: string[][] = [];
for (const policy of policies) {
  const r = new LocalRecognizer({
    models: { en: projectPath('models/ner-en'), zh: projectPath('models/ner-zh') },
    tagOcr: false,
    tagCaptions: false,
    typeAliases: { MISC: 'OTHER' },
    entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
    mixedScript: policy,
  });
  let tp = 0,
    pred = 0,
    gold = 0;
  const outs = await r.recognize(
    MIXED_SCRIPT_CASES.map((c) => ({ text: c.text, language: detectLanguage('auto', c.text), ocr: [], captions: [] })),
  );
  outs.forEach((out, i) => {
    const g = MIXED_SCRIPT_CASES[i]!.gold.map((e) => `${e.type}:${e.text}`);
    const p = out.entities.map((e) => `${e.type}:${e.text}`);
    gold += g.length;
    pred += p.length;
    tp += p.filter((x) => g.includes(x)).length;
    if (process.argv.includes('--verbose')) console.log(policy, JSON.stringify(MIXED_SCRIPT_CASES[i]!.text), p.join(' | '));
  });
  await r.close();
  const P = pred ? (100 * tp) / pred : 0,
    R = (100 * tp) / gold,
    F = P + R ? (2 * P * R) / (P + R) : 0;
  rows.push([policy, String(gold), String(pred), String(tp), P.toFixed(1), R.toFixed(1), F.toFixed(1)]);
}
console.log(`mixed-script policies on ${MIXED_SCRIPT_CASES.length} written messages (exact text and type)`);
console.log('| policy | gold | found | correct | P | R | F1 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
