// Draws examples/poster.png, the image the README's first command and `ekmm recognize --help`
// use: two lines of clear text, so OCR reads them and the tagger finds a person and a place.
// Run: npx tsx scripts/draw-examples.ts (the PNG is committed; rerun only to change it).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config/load.ts';
import { drawTextLines } from '../test/support/draw.ts';

const file = join(PROJECT_ROOT, 'examples/poster.png');
await writeFile(file, await drawTextLines(['Taylor Swift live in London', 'Wembley Stadium, 21 June'], 48));
process.stdout.write(`wrote ${file}\n`);
