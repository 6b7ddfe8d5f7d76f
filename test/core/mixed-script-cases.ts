// Mixed-script chat messages written for the tests (not from the datasets), with their gold
// entities: English names inside Chinese sentences and Chinese names inside English ones.
// bench/mixed-script.ts scores each mixed-script policy on them; test/core/language.test.ts
// checks the chosen one.
export interface GoldCase {
  text: string;
  gold: Array<{ text: string; type: string }>;
}

export const MIXED_SCRIPT_CASES: GoldCase[] = [
  {
    text: '昨天Taylor Swift在上海开演唱会',
    gold: [
      { text: 'Taylor Swift', type: 'PER' },
      { text: '上海', type: 'LOC' },
    ],
  },
  {
    text: '我在伦敦见到了Angela Merkel',
    gold: [
      { text: '伦敦', type: 'LOC' },
      { text: 'Angela Merkel', type: 'PER' },
    ],
  },
  {
    text: 'Microsoft和华为在北京签约',
    gold: [
      { text: 'Microsoft', type: 'ORG' },
      { text: '华为', type: 'ORG' },
      { text: '北京', type: 'LOC' },
    ],
  },
  { text: '刚看完Barack Obama的演讲，太精彩了', gold: [{ text: 'Barack Obama', type: 'PER' }] },
  {
    text: '周末去New York看NBA比赛',
    gold: [
      { text: 'New York', type: 'LOC' },
      { text: 'NBA', type: 'ORG' },
    ],
  },
  {
    text: '李娜说她最喜欢Roger Federer',
    gold: [
      { text: '李娜', type: 'PER' },
      { text: 'Roger Federer', type: 'PER' },
    ],
  },
  { text: '在Paris的时候我们住在朋友家', gold: [{ text: 'Paris', type: 'LOC' }] },
  {
    text: '马云和Elon Musk在上海见面',
    gold: [
      { text: '马云', type: 'PER' },
      { text: 'Elon Musk', type: 'PER' },
      { text: '上海', type: 'LOC' },
    ],
  },
  { text: 'Just landed in 北京 with my team', gold: [{ text: '北京', type: 'LOC' }] },
  {
    text: 'Had dinner with 王菲 in Hong Kong last night',
    gold: [
      { text: '王菲', type: 'PER' },
      { text: 'Hong Kong', type: 'LOC' },
    ],
  },
  {
    text: 'Great talk by 马云 at Stanford today',
    gold: [
      { text: '马云', type: 'PER' },
      { text: 'Stanford', type: 'ORG' },
    ],
  },
  { text: 'My flight to 上海 was delayed again', gold: [{ text: '上海', type: 'LOC' }] },
  {
    text: 'Barack Obama met 习近平 in Washington',
    gold: [
      { text: 'Barack Obama', type: 'PER' },
      { text: '习近平', type: 'PER' },
      { text: 'Washington', type: 'LOC' },
    ],
  },
  {
    text: 'Visiting 故宫 and the Great Wall with Emma',
    gold: [
      { text: '故宫', type: 'LOC' },
      { text: 'Great Wall', type: 'LOC' },
      { text: 'Emma', type: 'PER' },
    ],
  },
  { text: '我们公司和Google合作了三年', gold: [{ text: 'Google', type: 'ORG' }] },
  {
    text: '听说Lady Gaga下个月来广州',
    gold: [
      { text: 'Lady Gaga', type: 'PER' },
      { text: '广州', type: 'LOC' },
    ],
  },
];
