// The moderators' dashboard (plain browser JavaScript, no build step). It reads the sign-in
// token from the URL fragment (#t=…, never sent to a server), keeps it in sessionStorage, and
// draws what /api/stats/* return with Chartist (SVG charts served by our own server).
(() => {
  var TOKEN_KEY = 'ekmm.dashboard.token';
  var LANG_KEY = 'ekmm.dashboard.lang';
  var PALETTE = ['#2f5fd0', '#e8833a', '#3aa37a', '#b04fc4', '#c9a227', '#d04a4a', '#4ab3d0', '#7a7a7a'];
  var _LETTERS = 'abcdefgh';
  var MAX_PICKS = 8;

  var TEXT = {
    en: {
      title: 'Entity dashboard',
      community: 'Community',
      period: 'Period',
      day1: 'Today',
      day7: '7 days',
      day30: '30 days',
      day90: '90 days',
      custom: 'Custom…',
      from: 'From',
      to: 'To',
      channel: 'Channel',
      allChannels: 'All channels',
      type: 'Type',
      allTypes: 'All types',
      csv: 'Download CSV',
      top: 'Top entities',
      trend: 'Daily trend',
      trendHint: 'Pick the entities to follow:',
      rising: 'Rising',
      share: 'Read from images vs text',
      channels: 'Channels',
      pairs: 'Mentioned together',
      entity: 'Entity',
      count: 'Mentions',
      previous: 'Previous period',
      change: 'Change',
      pair: 'Pair',
      none: 'Nothing counted in this period.',
      noChannel: '(no channel)',
      text: 'Text',
      image: 'Images',
      ocr: 'Text in images (OCR)',
      caption: 'Image descriptions',
      unknown: 'Before sources were recorded',
      risingHint: 'This period against the previous one of the same length; at least {n} mentions.',
      risingPartial: ' The previous period is partly older than the data kept.',
      showData: 'Show data',
      windowLabel: '{first} to {last}',
      noToken:
        'Open the dashboard with the link the bot sends you (/dashboard in your community). Links expire after a while; ask again for a new one.',
      expired: 'This dashboard link has expired or is not valid any more. Ask the bot for a new one (/dashboard).',
      forbidden: 'This link is for another community.',
      failed: 'The statistics could not be loaded: {m}',
      chartOf: '{title}: {items}',
      pickMax: 'At most 8 entities.',
      watchlist: 'Watchlist',
      watchName: 'Name',
      watchOrType: 'or a whole type',
      watchNoType: '(a name)',
      watchAdd: 'Watch',
      watchRemove: 'Remove',
      watchEmpty: 'Nothing is watched yet.',
      watchAllOf: 'every {type} name',
      watchHint:
        'The moderators get an alert when a watched name is found in a message or an image: at most one per name every {m} minutes.',
      watchAdded: 'Added.',
      watchPresent: 'Already on the watchlist.',
      watchRemoved: 'Removed.',
      watchNeedName: 'Type a name or pick a type.',
      PER: 'People',
      LOC: 'Places',
      ORG: 'Organisations',
      OTHER: 'Other',
      MISC: 'Other',
    },
    zh: {
      title: '实体统计面板',
      community: '社区',
      period: '时间范围',
      day1: '今天',
      day7: '最近 7 天',
      day30: '最近 30 天',
      day90: '最近 90 天',
      custom: '自定义…',
      from: '开始',
      to: '结束',
      channel: '频道',
      allChannels: '全部频道',
      type: '类型',
      allTypes: '全部类型',
      csv: '下载 CSV',
      top: '热门实体',
      trend: '每日趋势',
      trendHint: '选择要跟踪的实体：',
      rising: '上升最快',
      share: '图片与文字来源占比',
      channels: '各频道',
      pairs: '共同出现',
      entity: '实体',
      count: '提及次数',
      previous: '上一周期',
      change: '变化',
      pair: '组合',
      none: '这段时间内没有统计数据。',
      noChannel: '（无频道）',
      text: '文字',
      image: '图片',
      ocr: '图片中的文字（OCR）',
      caption: '图片描述',
      unknown: '记录来源之前',
      risingHint: '本周期与上一个同样长度的周期相比；至少 {n} 次提及。',
      risingPartial: '上一周期有一部分早于保留的数据。',
      showData: '显示数据',
      windowLabel: '{first} 至 {last}',
      noToken: '请使用机器人发给你的链接打开面板（在你的社区中使用 /dashboard）。链接会过期，过期后请重新获取。',
      expired: '此面板链接已过期或无效。请向机器人重新获取（/dashboard）。',
      forbidden: '此链接属于另一个社区。',
      failed: '无法加载统计数据：{m}',
      chartOf: '{title}：{items}',
      pickMax: '最多 8 个实体。',
      watchlist: '关注列表',
      watchName: '名称',
      watchOrType: '或整个类型',
      watchNoType: '（名称）',
      watchAdd: '关注',
      watchRemove: '删除',
      watchEmpty: '还没有关注任何内容。',
      watchAllOf: '所有{type}名称',
      watchHint: '在消息或图片中发现关注的名称时，会提醒管理员：每个名称每 {m} 分钟最多一次。',
      watchAdded: '已添加。',
      watchPresent: '已在关注列表中。',
      watchRemoved: '已删除。',
      watchNeedName: '请输入名称或选择类型。',
      PER: '人物',
      LOC: '地点',
      ORG: '组织',
      OTHER: '其他',
      MISC: '其他',
    },
  };

  var state = { lang: 'en', token: null, session: null, community: null, data: null, picks: [], pickTouched: false, watch: null };

  function $(id) {
    return document.getElementById(id);
  }
  function t(key, vars) {
    var s = (TEXT[state.lang] && TEXT[state.lang][key]) || TEXT.en[key] || key;
    if (vars)
      Object.keys(vars).forEach((k) => {
        s = s.split('{' + k + '}').join(String(vars[k]));
      });
    return s;
  }
  function typeName(type) {
    return TEXT[state.lang][type] || TEXT.en[type] || type;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => {
      if (k === 'text') node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach((c) => {
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }
  function fmt(n) {
    return Number(n).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en');
  }
  function pct(part, whole) {
    return whole ? Math.round((part / whole) * 1000) / 10 + '%' : '0%';
  }

  // ---- language ----------------------------------------------------------------------------
  function pickLanguage() {
    var saved = null;
    try {
      saved = localStorage.getItem(LANG_KEY);
    } catch (_e) {
      /* storage off */
    }
    if (saved === 'en' || saved === 'zh') return saved;
    var langs = navigator.languages?.length ? navigator.languages : [navigator.language || 'en'];
    return /^zh\b/i.test(langs[0] || '') ? 'zh' : 'en';
  }
  function applyLanguage() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('title') + ' · EKMM';
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), (node) => {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    $('lang-en').setAttribute('aria-pressed', String(state.lang === 'en'));
    $('lang-zh').setAttribute('aria-pressed', String(state.lang === 'zh'));
    fillTypes();
    fillWatchTypes();
    if (state.data) render();
    if (state.watch) renderWatch();
  }
  function setLanguage(lang) {
    state.lang = lang;
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch (_e) {
      /* storage off */
    }
    applyLanguage();
  }

  // ---- token and API -----------------------------------------------------------------------
  function readToken() {
    var m = /(?:^#|&)t=([^&]+)/.exec(location.hash || '');
    var token = m ? decodeURIComponent(m[1]) : null;
    if (token) {
      try {
        sessionStorage.setItem(TOKEN_KEY, token);
      } catch (_e) {
        /* storage off */
      }
      // Drop the token from the address bar and history.
      history.replaceState(null, '', location.pathname + location.search);
      return token;
    }
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (_e) {
      return null;
    }
  }
  function notice(message) {
    var n = $('notice');
    n.textContent = message;
    n.hidden = !message;
  }
  function api(path, params, init) {
    var qs = params ? params.toString() : '';
    var headers = { authorization: 'Bearer ' + state.token };
    if (init?.body) headers['content-type'] = 'application/json';
    var options = { headers: headers, cache: 'no-store' };
    if (init) {
      options.method = init.method;
      if (init.body) options.body = JSON.stringify(init.body);
    }
    return fetch(path + (qs ? '?' + qs : ''), options).then((res) =>
      res.json().then((body) => {
        if (res.ok) return body;
        var err = new Error(body?.error?.message || res.statusText);
        err.status = res.status;
        throw err;
      }),
    );
  }

  // ---- filters -----------------------------------------------------------------------------
  function fillTypes() {
    var select = $('type');
    var current = select.value;
    clear(select).appendChild(el('option', { value: '', text: t('allTypes') }));
    (state.session?.entityTypes || []).forEach((type) => {
      select.appendChild(el('option', { value: type, text: typeName(type) }));
    });
    select.value = current;
  }
  function fillChannels(channels) {
    var select = $('channel');
    var current = select.value;
    clear(select).appendChild(el('option', { value: '', text: t('allChannels') }));
    var names = channels.map((c) => c.channel);
    if (current && names.indexOf(current) < 0) names.push(current);
    names.forEach((name) => {
      var o = el('option', { value: name, text: name || t('noChannel') });
      if (name === '') o.setAttribute('data-empty', '1');
      select.appendChild(o);
    });
    select.value = current;
  }
  function filterParams() {
    var p = new URLSearchParams();
    if (state.session.operator) p.set('community', state.community);
    var days = $('days').value;
    if (days === 'custom') {
      if ($('from').value) p.set('from', $('from').value);
      if ($('to').value) p.set('to', $('to').value);
      if (!$('from').value) p.set('days', '30');
    } else {
      p.set('days', days);
    }
    // A chosen channel option; the "(no channel)" entry is the empty channel id.
    var ch = $('channel');
    var opt = ch.options[ch.selectedIndex];
    if (opt && (opt.value !== '' || opt.getAttribute('data-empty'))) p.set('channel', opt.value);
    if ($('type').value) p.set('type', $('type').value);
    return p;
  }

  // ---- loading -----------------------------------------------------------------------------
  var loads = 0;
  function load() {
    // Only the latest request's answer is drawn, whatever order the answers come in.
    var mine = ++loads;
    var p = filterParams();
    var withLimit = (name, value) => {
      var q = new URLSearchParams(p);
      q.set(name, value);
      return q;
    };
    return Promise.all([
      api('/api/stats/top', withLimit('limit', '10')),
      api('/api/stats/rising', withLimit('limit', '10')),
      api('/api/stats/pairs', withLimit('limit', '15')),
      api('/api/stats/breakdown', p),
    ])
      .then((r) => {
        var data = { top: r[0], rising: r[1], pairs: r[2], breakdown: r[3] };
        var candidates = topCandidates(data.top);
        if (!state.pickTouched) state.picks = candidates.slice(0, 3).map((c) => c.key);
        else state.picks = state.picks.filter((k) => candidates.some((c) => c.key === k));
        data.candidates = candidates;
        return loadSeries(p, data);
      })
      .then((data) => {
        if (mine !== loads) return;
        state.data = data;
        if (!p.has('channel')) fillChannels(data.breakdown.channels);
        render();
        document.body.setAttribute('data-loaded', String(Date.now()));
      })
      .catch(failed);
  }
  function loadSeries(p, data) {
    if (state.picks.length === 0) {
      data.series = { days: [], series: [] };
      return Promise.resolve(data);
    }
    var q = new URLSearchParams(p);
    state.picks.forEach((k) => {
      q.append('entity', k);
    });
    return api('/api/stats/series', q).then((s) => {
      data.series = s;
      return data;
    });
  }
  function reloadSeries() {
    loadSeries(filterParams(), state.data)
      .then(() => {
        render();
        document.body.setAttribute('data-loaded', String(Date.now()));
      })
      .catch(failed);
  }
  function failed(err) {
    if (err.status === 401) {
      notice(t('expired'));
      $('board').hidden = true;
      $('filters').hidden = true;
      return;
    }
    if (err.status === 403) {
      notice(t('forbidden'));
      return;
    }
    notice(t('failed', { m: err.message }));
  }
  function topCandidates(top) {
    var all = [];
    Object.keys(top.top).forEach((type) => {
      top.top[type].forEach((e) => {
        all.push({ key: type + ':' + e.entity, type: type, label: e.label, count: e.count });
      });
    });
    return all.sort((a, b) => b.count - a.count);
  }

  // ---- rendering ---------------------------------------------------------------------------
  function ariaSummary(node, title, items) {
    node.setAttribute('aria-label', t('chartOf', { title: title, items: items.join(', ') || t('none') }));
  }
  function dataTable(headers, rows) {
    var table = el('table');
    table.appendChild(
      el('thead', {}, [
        el(
          'tr',
          {},
          headers.map((h, i) => el('th', { class: i ? 'num' : '', text: h })),
        ),
      ]),
    );
    table.appendChild(
      el(
        'tbody',
        {},
        rows.map((r) =>
          el(
            'tr',
            {},
            r.map((c, i) => el('td', { class: i ? 'num' : '', text: String(c) })),
          ),
        ),
      ),
    );
    return table;
  }
  function legend(node, items) {
    clear(node);
    items.forEach((item, i) => {
      node.appendChild(el('span', {}, [el('span', { class: 'swatch', style: 'background:' + PALETTE[i % PALETTE.length] }), item]));
    });
  }
  function render() {
    var d = state.data;
    $('window-label').textContent = t('windowLabel', { first: d.top.window.first, last: d.top.window.last });
    renderTop(d.top);
    renderTrend(d);
    renderRising(d.rising);
    renderShare(d.breakdown.sources);
    renderChannels(d.breakdown.channels);
    renderPairs(d.pairs.pairs);
  }
  function renderTop(top) {
    var box = clear($('top-charts'));
    var types = Object.keys(top.top);
    if (types.length === 0) {
      box.appendChild(el('p', { class: 'empty', text: t('none') }));
      return;
    }
    types.forEach((type) => {
      var entries = top.top[type];
      var chart = el('div', { class: 'chart', role: 'img', 'data-type': type });
      var fig = el('figure', { class: 'chart-figure type-chart' }, [el('h3', { text: typeName(type) }), chart]);
      var details = el('details', {}, [
        el('summary', { text: t('showData') }),
        dataTable(
          [t('entity'), t('count')],
          entries.map((e) => [e.label, fmt(e.count)]),
        ),
      ]);
      fig.appendChild(details);
      box.appendChild(fig);
      ariaSummary(
        chart,
        typeName(type),
        entries.map((e) => e.label + ' ' + e.count),
      );
      new Chartist.BarChart(
        chart,
        { labels: entries.map((e) => e.label), series: [entries.map((e) => e.count)] },
        {
          horizontalBars: true,
          reverseData: true,
          seriesBarDistance: 0,
          axisX: { onlyInteger: true },
          axisY: { offset: 110 },
          chartPadding: { right: 36 },
        },
      );
    });
  }
  function renderTrend(d) {
    var picks = clear($('trend-picks'));
    d.candidates.forEach((c) => {
      var box = el('input', { type: 'checkbox', value: c.key });
      box.checked = state.picks.indexOf(c.key) >= 0;
      box.addEventListener('change', () => {
        state.pickTouched = true;
        if (box.checked && state.picks.length >= MAX_PICKS) {
          box.checked = false;
          notice(t('pickMax'));
          return;
        }
        notice('');
        state.picks = box.checked ? state.picks.concat([c.key]) : state.picks.filter((k) => k !== c.key);
        reloadSeries();
      });
      picks.appendChild(el('label', { title: typeName(c.type) }, [box, c.label]));
    });
    var chart = $('trend-chart');
    var series = d.series.series || [];
    legend(
      $('trend-legend'),
      series.map((s) => s.label + ' (' + typeName(s.type) + ')'),
    );
    ariaSummary(
      chart,
      t('trend'),
      series.map((s) => s.label + ' ' + s.total),
    );
    clear(chart);
    if (series.length === 0) {
      chart.appendChild(el('p', { class: 'empty', text: t('none') }));
      return;
    }
    var days = d.series.days;
    var every = Math.max(1, Math.ceil(days.length / 10));
    new Chartist.LineChart(
      chart,
      { labels: days.map((day, i) => (i % every === 0 ? day.slice(5) : '')), series: series.map((s) => s.counts) },
      {
        axisY: { onlyInteger: true },
        showPoint: days.length <= 31,
        fullWidth: true,
        chartPadding: { right: 30 },
        low: 0,
      },
    );
  }
  function renderRising(r) {
    var table = clear($('rising-table'));
    $('rising-hint').textContent = t('risingHint', { n: r.minCount }) + (r.previousComplete ? '' : t('risingPartial'));
    if (r.entries.length === 0) {
      table.appendChild(el('caption', { class: 'empty', text: t('none') }));
      return;
    }
    table.appendChild(
      el('thead', {}, [
        el('tr', {}, [
          el('th', { text: t('entity') }),
          el('th', { text: t('type') }),
          el('th', { class: 'num', text: t('count') }),
          el('th', { class: 'num', text: t('previous') }),
          el('th', { class: 'num', text: t('change') }),
        ]),
      ]),
    );
    table.appendChild(
      el(
        'tbody',
        {},
        r.entries.map((e) =>
          el('tr', {}, [
            el('td', { text: e.label }),
            el('td', { text: typeName(e.type) }),
            el('td', { class: 'num', text: fmt(e.count) }),
            el('td', { class: 'num', text: fmt(e.previous) }),
            el('td', { class: 'num', text: '×' + e.ratio }),
          ]),
        ),
      ),
    );
  }
  function shareParts(s) {
    var parts = [
      ['text', s.text],
      ['ocr', s.ocr],
      ['caption', s.caption],
    ];
    if (s.unknown) parts.push(['unknown', s.unknown]);
    return parts;
  }
  function renderShare(s) {
    var chart = clear($('share-chart'));
    var parts = shareParts(s);
    legend(
      $('share-legend'),
      parts.map((p) => t(p[0]) + ': ' + fmt(p[1]) + ' (' + pct(p[1], s.total) + ')'),
    );
    ariaSummary(
      chart,
      t('share'),
      parts.map((p) => t(p[0]) + ' ' + pct(p[1], s.total)),
    );
    if (!s.total) {
      chart.appendChild(el('p', { class: 'empty', text: t('none') }));
      return;
    }
    new Chartist.PieChart(chart, { series: parts.map((p) => p[1]) }, { donut: true, donutWidth: 42, showLabel: false });
  }
  function renderChannels(channels) {
    var chart = clear($('channels-chart'));
    var shown = channels.slice(0, 12);
    legend($('channels-legend'), [t('text'), t('image')]);
    ariaSummary(
      chart,
      t('channels'),
      shown.map((c) => (c.channel || t('noChannel')) + ' ' + c.count),
    );
    if (shown.length === 0) {
      chart.appendChild(el('p', { class: 'empty', text: t('none') }));
      return;
    }
    // Horizontal bars are drawn bottom-up; reverse the rows by hand (reverseData would also swap
    // the series, and with them the colours the legend promises).
    var rows = shown.slice().reverse();
    new Chartist.BarChart(
      chart,
      {
        labels: rows.map((c) => c.channel || t('noChannel')),
        series: [rows.map((c) => c.text), rows.map((c) => c.image)],
      },
      { stackBars: true, horizontalBars: true, axisX: { onlyInteger: true }, axisY: { offset: 110 }, chartPadding: { right: 36 } },
    );
  }
  function renderPairs(pairs) {
    var table = clear($('pairs-table'));
    if (pairs.length === 0) {
      table.appendChild(el('caption', { class: 'empty', text: t('none') }));
      return;
    }
    table.appendChild(el('thead', {}, [el('tr', {}, [el('th', { text: t('pair') }), el('th', { class: 'num', text: t('count') })])]));
    table.appendChild(
      el(
        'tbody',
        {},
        pairs.map((p) => el('tr', {}, [el('td', { text: p.a.label + ' + ' + p.b.label }), el('td', { class: 'num', text: fmt(p.count) })])),
      ),
    );
  }

  // ---- CSV of what is shown ----------------------------------------------------------------
  function csvCell(v) {
    var s = String(v);
    // A cell starting with = + - @ would run as a spreadsheet formula; a leading quote keeps it text.
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function csvRows() {
    var d = state.data;
    var w = d.top.window;
    var rows = [['section', 'type', 'entity', 'channel', 'day', 'count', 'previous']];
    var channel = d.top.channel === null ? '' : d.top.channel;
    var range = w.first + '..' + w.last;
    Object.keys(d.top.top).forEach((type) => {
      d.top.top[type].forEach((e) => {
        rows.push(['top', type, e.label, channel, range, e.count, '']);
      });
    });
    (d.series.series || []).forEach((s) => {
      d.series.days.forEach((day, i) => {
        rows.push(['trend', s.type, s.label, channel, day, s.counts[i], '']);
      });
    });
    d.rising.entries.forEach((e) => {
      rows.push(['rising', e.type, e.label, channel, range, e.count, e.previous]);
    });
    shareParts(d.breakdown.sources).forEach((p) => {
      rows.push(['source', '', p[0], channel, range, p[1], '']);
    });
    d.breakdown.channels.forEach((c) => {
      rows.push(['channel', '', '', c.channel, range, c.count, '']);
    });
    d.pairs.pairs.forEach((p) => {
      rows.push(['pair', p.a.type + '+' + p.b.type, p.a.label + ' + ' + p.b.label, channel, range, p.count, '']);
    });
    return rows;
  }
  function downloadCsv() {
    if (!state.data) return;
    var body =
      csvRows()
        .map((r) => r.map(csvCell).join(','))
        .join('\r\n') + '\r\n';
    var blob = new Blob(['\ufeff' + body], { type: 'text/csv;charset=utf-8' });
    var a = el('a', {
      href: URL.createObjectURL(blob),
      download:
        'ekmm-' +
        String(state.community).replace(/[^\w.-]/g, '_') +
        '-' +
        state.data.top.window.first +
        '_' +
        state.data.top.window.last +
        '.csv',
    });
    document.body.appendChild(a);
    a.click();
    setTimeout(() => {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 1000);
  }

  // ---- watchlist ---------------------------------------------------------------------------
  function communityParams() {
    var p = new URLSearchParams();
    if (state.session?.operator) p.set('community', state.community);
    return p;
  }
  function fillWatchTypes() {
    var select = $('watch-type');
    var current = select.value;
    clear(select).appendChild(el('option', { value: '', text: t('watchNoType') }));
    (state.session?.entityTypes || []).forEach((type) => {
      select.appendChild(el('option', { value: type, text: typeName(type) + ' (' + type + ')' }));
    });
    select.value = current;
  }
  function watchStatus(message) {
    $('watch-status').textContent = message || '';
  }
  function renderWatch() {
    var w = state.watch;
    $('watch-hint').textContent = t('watchHint', { m: w.alertWindowMinutes });
    var list = clear($('watch-list'));
    if (w.entries.length === 0) list.appendChild(el('li', { class: 'empty', text: t('watchEmpty') }));
    w.entries.forEach((e) => {
      var label = e.kind === 'entity' ? e.entity : t('watchAllOf', { type: typeName(e.type) }) + ' (' + e.type + ')';
      var remove = el('button', {
        type: 'button',
        class: 'watch-remove',
        'aria-label': t('watchRemove') + ': ' + label,
        text: t('watchRemove'),
      });
      remove.addEventListener('click', () => {
        var q = communityParams();
        if (e.kind === 'entity') q.set('entity', e.entity);
        else q.set('type', e.type);
        api('/api/watchlist', q, { method: 'DELETE' })
          .then((r) => {
            state.watch = r;
            renderWatch();
            watchStatus(t('watchRemoved'));
          })
          .catch(watchFailed);
      });
      list.appendChild(el('li', { 'data-kind': e.kind }, [el('span', { class: 'watch-label', text: label }), ' ', remove]));
    });
  }
  function watchFailed(err) {
    if (err.status === 401 || err.status === 403) return failed(err);
    watchStatus(err.message);
  }
  function loadWatch() {
    return api('/api/watchlist', communityParams())
      .then((r) => {
        state.watch = r;
        renderWatch();
        // Shown only where the server keeps watchlists.
        $('watch-section').hidden = false;
        document.body.setAttribute('data-watch-loaded', String(Date.now()));
      })
      .catch((err) => {
        if (err.status === 404) $('watch-section').hidden = true;
        else watchFailed(err);
      });
  }
  function addWatch(event) {
    event.preventDefault();
    var type = $('watch-type').value;
    var name = $('watch-entity').value.trim();
    if (!type && !name) return watchStatus(t('watchNeedName'));
    var body = type ? { type: type } : { entity: name };
    if (state.session.operator) body.community = state.community;
    api('/api/watchlist', null, { method: 'POST', body: body })
      .then((r) => {
        state.watch = r;
        $('watch-entity').value = '';
        $('watch-type').value = '';
        renderWatch();
        watchStatus(r.added ? t('watchAdded') : t('watchPresent'));
        document.body.setAttribute('data-watch-loaded', String(Date.now()));
      })
      .catch(watchFailed);
  }

  // ---- start -------------------------------------------------------------------------------
  function start() {
    state.lang = pickLanguage();
    $('lang-en').addEventListener('click', () => {
      setLanguage('en');
    });
    $('lang-zh').addEventListener('click', () => {
      setLanguage('zh');
    });
    applyLanguage();
    state.token = readToken();
    if (!state.token) {
      notice(t('noToken'));
      return;
    }
    api('/api/dashboard/session')
      .then((session) => {
        state.session = session;
        fillTypes();
        var today = new Date().toISOString().slice(0, 10);
        $('to').value = today;
        $('from').min = $('to').min = new Date(Date.now() - (session.retentionDays - 1) * 86400000).toISOString().slice(0, 10);
        $('from').max = $('to').max = today;
        if (!session.operator) return session.community;
        return api('/api/communities').then((r) => {
          var pick = $('community-pick');
          r.communities.forEach((c) => {
            pick.appendChild(el('option', { value: c.communityId, text: c.communityId + ' (' + fmt(c.mentions) + ')' }));
          });
          $('community-pick-label').hidden = false;
          pick.addEventListener('change', () => {
            state.community = pick.value;
            $('community-name').textContent = pick.value;
            state.pickTouched = false;
            fillChannels([]);
            load();
            loadWatch();
          });
          return r.communities.length ? r.communities[0].communityId : null;
        });
      })
      .then((community) => {
        if (!community) {
          notice(t('none'));
          return;
        }
        state.community = community;
        $('community-name').textContent = community;
        $('filters').hidden = false;
        $('board').hidden = false;
        ['days', 'channel', 'type', 'from', 'to'].forEach((id) => {
          $(id).addEventListener('change', () => {
            $('custom-range').hidden = $('days').value !== 'custom';
            load();
          });
        });
        $('csv').addEventListener('click', downloadCsv);
        fillWatchTypes();
        $('watch-form').addEventListener('submit', addWatch);
        loadWatch();
        return load();
      })
      .catch(failed);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
