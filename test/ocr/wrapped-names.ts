// Posters with names wrapped over two lines at every position, for the block tests and
// bench/wrapped-names.ts. Each sentence is broken at every word gap (every character gap in
// Chinese) that falls inside one of its names; odd positions are centred, even ones left-aligned,
// and each poster carries an unrelated block below so blocks must also stay apart.
import type { PosterBlock } from '../support/draw.ts';

export interface WrappedCase {
  /** Lines of the name's block. */
  lines: string[];
  anchor: 'start' | 'middle';
  /** The wrapped name and its type. */
  name: { text: string; type: string };
  language: 'en' | 'zh';
}

const SENTENCES: Array<{ text: string; names: Array<{ text: string; type: string }>; language: 'en' | 'zh' }> = [
  { text: 'Angela Merkel visits Berlin today', names: [{ text: 'Angela Merkel', type: 'PER' }], language: 'en' },
  { text: 'Barack Obama meets the press', names: [{ text: 'Barack Obama', type: 'PER' }], language: 'en' },
  {
    text: 'Taylor Swift live at Wembley Stadium',
    names: [
      { text: 'Taylor Swift', type: 'PER' },
      { text: 'Wembley Stadium', type: 'LOC' },
    ],
    language: 'en',
  },
  {
    text: 'Elon Musk opens a factory in Los Angeles',
    names: [
      { text: 'Elon Musk', type: 'PER' },
      { text: 'Los Angeles', type: 'LOC' },
    ],
    language: 'en',
  },
  { text: 'Join us for the New York City Marathon', names: [{ text: 'New York City', type: 'LOC' }], language: 'en' },
  {
    text: 'Lionel Messi scores again for Inter Miami',
    names: [
      { text: 'Lionel Messi', type: 'PER' },
      { text: 'Inter Miami', type: 'ORG' },
    ],
    language: 'en',
  },
  {
    text: '昨天在上海见到了马云',
    names: [
      { text: '上海', type: 'LOC' },
      { text: '马云', type: 'PER' },
    ],
    language: 'zh',
  },
  { text: '欢迎来到北京大学参观', names: [{ text: '北京大学', type: 'ORG' }], language: 'zh' },
];

/** The block under every poster's name block: never part of a name. */
export const OTHER_BLOCK: PosterBlock = { lines: ['Tickets on sale now'], size: 40 };

export function wrappedCases(): WrappedCase[] {
  const out: WrappedCase[] = [];
  let k = 0;
  for (const s of SENTENCES) {
    for (const name of s.names) {
      const at = s.text.indexOf(name.text);
      // Break points: after each word of the name but the last (each character in Chinese).
      const cuts: number[] = [];
      if (s.language === 'zh') for (let i = 1; i < name.text.length; i++) cuts.push(at + i);
      else for (const m of name.text.matchAll(/ /g)) cuts.push(at + m.index);
      for (const cut of cuts) {
        const lines = [s.text.slice(0, cut).trim(), s.text.slice(cut).trim()];
        out.push({ lines, anchor: k++ % 2 ? 'middle' : 'start', name, language: s.language });
      }
    }
  }
  return out;
}
