// Known text for OCR tests and bench/ocr.ts. Written for this project (not taken from any
// dataset), entity-rich like the chat posts EKMM reads. The spacing repair was tuned on other
// text (Twitter-2015 sentences), so these lines are held out from that tuning.
import { renderLines } from './render.ts';

export const ENGLISH_LINES: string[] = [
  'Barack Obama meets Angela Merkel in Berlin',
  'Apple opens a new store in New York City',
  'Manchester United signs a deal with Adidas',
  'Taylor Swift plays two nights at Wembley',
  'The United Nations meets in Geneva today',
  'Elon Musk says Tesla will build in Texas',
  'Serena Williams wins again at Wimbledon',
  'Google and Microsoft compete for OpenAI',
  'Snow closes roads near Denver on Monday',
  'Lionel Messi joins Inter Miami this summer',
  'The Louvre in Paris reopens its east wing',
  'Prime Minister Rishi Sunak visits Kyiv',
  'Amazon hires more workers in Seattle',
  'NASA launches Artemis from Cape Canaveral',
  'Pope Francis speaks to crowds in Lisbon',
  'Warren Buffett buys shares of Chevron',
  'Beyonce announces a tour of South America',
  'Heavy rain floods parts of Hong Kong again',
  'Toyota recalls cars sold in Canada and Mexico',
  'LeBron James scores forty for the Lakers',
  'The World Health Organization warns of flu',
  'Emma Watson visits Oxford University',
  'Netflix films a new series in Dublin',
  'Samsung unveils a phone at a Seoul event',
];

export const CHINESE_LINES: string[] = [
  '习近平在北京会见联合国秘书长',
  '阿里巴巴总部位于杭州',
  '周杰伦将在上海举办演唱会',
  '清华大学和北京大学发布新报告',
  '华为在深圳发布新款手机',
  '姚明访问美国休斯顿',
];

export interface PageSpec {
  font: string;
  size: number;
  fill?: string;
  background?: string;
  lines: string[];
}

/** English pages: several fonts and sizes, one light-on-dark, six lines each, 1280 px wide. */
export function englishPages(): PageSpec[] {
  const styles: Omit<PageSpec, 'lines'>[] = [
    { font: 'DejaVu Sans', size: 34 },
    { font: 'DejaVu Serif', size: 30 },
    { font: 'DejaVu Sans Mono', size: 26 },
    { font: 'WenQuanYi Micro Hei', size: 38, fill: '#f5f5f5', background: '#1d2b44' },
  ];
  return styles.map((s, i) => ({ ...s, lines: ENGLISH_LINES.slice(i * 6, i * 6 + 6) }));
}

export function chinesePage(): PageSpec {
  return { font: 'WenQuanYi Micro Hei', size: 36, lines: CHINESE_LINES };
}

export function renderPage(p: PageSpec): Promise<Buffer> {
  return renderLines(1280, p.lines, { size: p.size, font: p.font, fill: p.fill, background: p.background, x: 40 });
}
