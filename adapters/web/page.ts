// The one page the web adapter serves: a form (text, language, images) and the recognition shown
// as highlighted spans in the text, in each image's OCR lines (with boxes over a preview) and in
// captions. Self-contained: inline CSS and JS, nothing fetched but POST /api/recognize.
// Rendering uses DOM nodes and textContent only, so message text is never interpreted as HTML.

export interface PageOptions {
  entityTypes: string[];
  /** intake.maxSide: OCR boxes are in the coordinates of the image downsized to this side. */
  maxSide: number;
  /** EKMM_API_TOKEN is set: the page asks for the token once and keeps it in sessionStorage (never in the URL). */
  apiTokenRequired?: boolean;
  version: string;
}

const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d9dee6; --bg:#f5f7fa; --card:#fff; --accent:#3451b2; }
* { box-sizing: border-box; }
[hidden] { display:none !important; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",sans-serif; color:var(--fg); background:var(--bg); }
header { padding:14px 24px; background:#1d2330; color:#fff; display:flex; align-items:baseline; gap:12px; }
header h1 { margin:0; font-size:19px; font-weight:600; }
header span { color:#aab3c2; font-size:13px; }
main { max-width:1100px; margin:0 auto; padding:20px 24px 48px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 18px; margin-bottom:16px; }
.card h2 { margin:0 0 10px; font-size:15px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
textarea { width:100%; min-height:90px; padding:10px; font:inherit; border:1px solid var(--line); border-radius:6px; resize:vertical; }
.row { display:flex; flex-wrap:wrap; gap:14px; align-items:center; margin-top:10px; }
label { color:var(--muted); font-size:14px; }
select, input[type=file] { font:inherit; max-width:100%; }
button.secondary { background:transparent; color:var(--accent); border:1px solid var(--accent); padding:7px 14px; }
#form.dragging { outline:3px dashed var(--accent); outline-offset:-6px; }
#attached { font-size:13px; color:var(--muted); }
.hint { font-size:13px; color:var(--muted); margin:6px 0 0; }
.table-wrap { overflow-x:auto; }
table.no-scores .score-col { display:none; }
button { font:inherit; font-weight:600; padding:8px 20px; border:0; border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; }
button:disabled { opacity:.6; cursor:progress; }
#status { font-size:14px; color:var(--muted); }
#status.error { color:#c92a2a; font-weight:600; }
.legend { display:flex; flex-wrap:wrap; gap:8px; margin-bottom:12px; }
.chip { display:inline-flex; align-items:center; gap:6px; padding:2px 10px; border-radius:12px; font-size:13px; font-weight:600; border:1px solid; }
.chip .count { font-weight:400; opacity:.75; }
.highlighted { white-space:pre-wrap; word-break:break-word; font-size:17px; line-height:1.9; }
mark.ent { padding:1px 3px; border-radius:4px; border-bottom:2px solid; color:inherit; }
mark.ent sup { font-size:10px; font-weight:700; margin-left:3px; letter-spacing:.02em; }
.empty { color:var(--muted); font-style:italic; }
.image-block { display:grid; grid-template-columns:minmax(200px,420px) 1fr; gap:18px; padding:12px 0; border-top:1px solid var(--line); }
.image-block:first-of-type { border-top:0; }
.image-block canvas { max-width:100%; border:1px solid var(--line); border-radius:4px; background:#eee; }
.image-block h3 { margin:0 0 6px; font-size:15px; }
ol.ocr-lines { margin:0; padding-left:26px; }
ol.ocr-lines li { margin:3px 0; }
.score { color:var(--muted); font-size:12px; margin-left:6px; }
.caption { margin-top:8px; padding:6px 10px; background:var(--bg); border-radius:6px; }
table { border-collapse:collapse; width:100%; font-size:14px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
ul.warnings { margin:0; padding-left:20px; }
ul.warnings li { color:#a61e4d; margin:3px 0; }
ul.warnings code { background:#fff0f6; padding:0 4px; border-radius:3px; }
.timings { font-size:13px; color:var(--muted); }
@media (max-width:720px) { .image-block { grid-template-columns:1fr; } }
/* A phone (390 px): tighter margins, and table cells that wrap instead of pushing the card wider. */
@media (max-width:480px) {
  header { padding:12px 14px; flex-wrap:wrap; }
  main { padding:12px 10px 32px; }
  .card { padding:12px; }
  table { font-size:13px; }
  th, td { padding:4px 4px; overflow-wrap:break-word; }
  td .chip { padding:1px 6px; font-size:12px; }
  .highlighted { font-size:16px; }
}
`;

// Runs in the browser. Kept as plain ES2020 without a build step.
const SCRIPT = `
const CFG = JSON.parse(document.getElementById('ekmm-config').textContent);
const PALETTE = [
  ['#ffe3ec', '#c2255c'], ['#d3f9d8', '#2b8a3e'], ['#d0ebff', '#1864ab'], ['#fff3bf', '#e67700'],
  ['#e5dbff', '#5f3dc4'], ['#c5f6fa', '#0b7285'], ['#ffe8cc', '#d9480f'], ['#f1f3f5', '#495057'],
];
const colorOf = (type) => {
  let i = CFG.entityTypes.indexOf(type);
  if (i < 0) i = [...type].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  return PALETTE[i % PALETTE.length];
};
const el = (tag, props, ...children) => {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children) node.append(c);
  return node;
};
const $ = (id) => document.getElementById(id);

function markFor(text, entity) {
  const [bg, border] = colorOf(entity.type);
  const m = el('mark', { className: 'ent', title: entity.type + ' · ' + entity.backend + (entity.score != null ? ' · ' + entity.score.toFixed(2) : '') });
  m.dataset.type = entity.type;
  m.dataset.source = entity.source;
  m.style.background = bg;
  m.style.borderColor = border;
  m.append(text, el('sup', { textContent: entity.type, style: 'color:' + border }));
  return m;
}

// Offsets are UTF-16 code units, the same units JS strings index by. Overlapping spans (a union
// merge can produce them) keep the earlier, longer one in the text; all are listed in the table.
function highlight(text, entities) {
  const box = el('div', { className: 'highlighted' });
  const sorted = [...entities].sort((a, b) => a.start - b.start || b.end - a.end);
  let at = 0;
  for (const e of sorted) {
    if (e.start < at || e.end > text.length || e.start >= e.end) continue;
    box.append(text.slice(at, e.start), markFor(text.slice(e.start, e.end), e));
    at = e.end;
  }
  box.append(text.slice(at));
  return box;
}

function legend(entities) {
  const counts = new Map(CFG.entityTypes.map((t) => [t, 0]));
  for (const e of entities) counts.set(e.type, (counts.get(e.type) || 0) + 1);
  const box = el('div', { className: 'legend' });
  for (const [type, n] of counts) {
    const [bg, border] = colorOf(type);
    const chip = el('span', { className: 'chip' }, type, el('span', { className: 'count', textContent: String(n) }));
    chip.style.background = bg; chip.style.borderColor = border; chip.style.color = border;
    box.append(chip);
  }
  return box;
}

async function drawPreview(canvas, file, lines, entities, result) {
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch { canvas.replaceWith(el('p', { className: 'empty', textContent: 'no preview (the browser cannot decode this file)' })); return; }
  // Boxes are in the coordinates of the image as intake prepared it: downsized to maxSide.
  const scale = Math.min(1, CFG.maxSide / Math.max(bitmap.width, bitmap.height));
  canvas.width = bitmap.width; canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  ctx.lineWidth = Math.max(2, bitmap.width / 300);
  ctx.font = 'bold ' + Math.max(14, Math.round(bitmap.width / 40)) + 'px sans-serif';
  for (const { line, index } of lines) {
    const types = entities.filter((e) => e.ocrLine === index).map((e) => e.type);
    const color = types.length ? colorOf(types[0])[1] : '#868e96';
    ctx.strokeStyle = color; ctx.fillStyle = color;
    ctx.beginPath();
    line.box.forEach(([x, y], k) => (k ? ctx.lineTo(x / scale, y / scale) : ctx.moveTo(x / scale, y / scale)));
    ctx.closePath(); ctx.stroke();
    // The line number on a filled tag above the box's top-left corner, matching the list.
    const label = String(lineNo(result, index));
    const size = parseInt(ctx.font.split(' ')[1], 10);
    const lx = line.box[0][0] / scale, ly = Math.max(size + 4, line.box[0][1] / scale - 2);
    ctx.fillRect(lx, ly - size - 2, ctx.measureText(label).width + 8, size + 4);
    ctx.fillStyle = '#fff';
    ctx.fillText(label, lx + 4, ly - 2);
  }
}

// OCR lines are numbered per image (1, 2, ... in each), as the CLI numbers them: result.ocr
// holds the lines of all images in one list.
function lineNo(result, index) {
  const image = result.ocr[index] ? result.ocr[index].image : 0;
  let n = 0;
  for (let i = 0; i <= index && i < result.ocr.length; i++) if (result.ocr[i].image === image) n++;
  return n;
}

// One piece per OCR line an entity touches (a name wrapped over lines has one span per line).
function linePieces(entities) {
  return entities.flatMap((e) => (e.spans && e.spans.length ? e.spans : [{ ocrLine: e.ocrLine, start: e.start, end: e.end }])
    .map((s) => Object.assign({}, e, { ocrLine: s.ocrLine, start: s.start, end: s.end })));
}

function renderImages(result, files) {
  const card = $('images-card');
  const list = $('image-list');
  list.replaceChildren();
  const imageWarnings = result.warnings.filter((w) => w.image != null).map((w) => w.image + 1);
  const count = Math.max(files.length, ...result.ocr.map((l) => l.image + 1), ...result.captions.map((c) => c.image + 1), ...imageWarnings, 0);
  card.hidden = count === 0;
  for (let i = 0; i < count; i++) {
    const lines = result.ocr.map((line, index) => ({ line, index })).filter((x) => x.line.image === i);
    const ocrEntities = linePieces(result.entities.filter((e) => e.source === 'ocr')).filter((e) => lines.some((x) => x.index === e.ocrLine));
    const canvas = el('canvas');
    const ol = el('ol', { className: 'ocr-lines' });
    for (const { line, index } of lines) {
      const li = el('li', { value: lineNo(result, index) });
      li.dataset.ocrLine = String(index);
      const mine = ocrEntities.filter((e) => e.ocrLine === index);
      li.append(highlight(line.text, mine), el('span', { className: 'score', textContent: 'conf ' + line.score.toFixed(2) }));
      li.firstChild.style.display = 'inline';
      li.firstChild.style.fontSize = '15px';
      ol.append(li);
    }
    const warnings = result.warnings.filter((w) => w.image === i);
    const info = el('div', {},
      el('h3', { textContent: 'Image ' + (i + 1) + (files[i] ? ': ' + files[i].name : '') }),
      lines.length ? ol : el('p', { className: 'empty', textContent: warnings.length ? 'not read: ' + warnings.map((w) => w.message).join('; ') : 'no text found in this image' }));
    result.captions.forEach((c, ci) => {
      if (c.image !== i) return;
      const capEntities = result.entities.filter((e) => e.source === 'caption' && e.caption === ci);
      const h = highlight(c.text, capEntities); h.style.display = 'inline'; h.style.fontSize = '15px';
      info.append(el('div', { className: 'caption' }, el('strong', { textContent: 'Caption (' + c.backend + '): ' }), h));
    });
    const block = el('div', { className: 'image-block' }, files[i] ? canvas : el('p', { className: 'empty', textContent: 'no preview' }), info);
    block.dataset.image = String(i);
    list.append(block);
    if (files[i]) drawPreview(canvas, files[i], lines, ocrEntities, result);
  }
}

function whereOf(e, result) {
  if (e.source === 'ocr') {
    const l = result.ocr[e.ocrLine];
    const lines = (e.spans && e.spans.length ? e.spans : [e]).map((s) => lineNo(result, s.ocrLine));
    return 'image ' + ((l ? l.image : 0) + 1) + (lines.length > 1 ? ', lines ' + lines.join('+') : ', line ' + lines[0]);
  }
  if (e.source === 'caption') { const c = result.captions[e.caption]; return 'caption of image ' + ((c ? c.image : 0) + 1); }
  return 'text ' + e.start + '–' + e.end;
}

function render(result, files) {
  $('results').hidden = false;
  $('legend').replaceChildren(legend(result.entities));
  const textEntities = result.entities.filter((e) => e.source === 'text');
  $('text-out').replaceChildren(result.text ? highlight(result.text, textEntities) : el('p', { className: 'empty', textContent: '(no text)' }));
  $('language-out').textContent = 'language: ' + result.language;
  renderImages(result, files);
  const tbody = $('entity-rows');
  tbody.replaceChildren();
  for (const e of result.entities) {
    const [bg, border] = colorOf(e.type);
    const type = el('span', { className: 'chip', textContent: e.type }); type.style.background = bg; type.style.borderColor = border; type.style.color = border;
    tbody.append(el('tr', {}, el('td', { textContent: e.display ? e.display + ' (' + e.text + ')' : e.text }), el('td', {}, type), el('td', { textContent: e.source }),
      el('td', { textContent: whereOf(e, result) }), el('td', { className: 'score-col', textContent: e.score != null ? e.score.toFixed(2) : '' }), el('td', { textContent: e.backend })));
  }
  // Only some backends give a score; the column shows when at least one entity has one.
  $('entity-table').classList.toggle('no-scores', !result.entities.some((e) => e.score != null));
  $('entities-empty').hidden = result.entities.length > 0;
  $('entity-table').hidden = result.entities.length === 0;
  const ul = $('warnings');
  ul.replaceChildren(...result.warnings.map((w) => el('li', {}, el('code', { textContent: w.code }), ' ' + w.stage + (w.image != null ? ' (image ' + (w.image + 1) + ')' : '') + ': ' + w.message)));
  $('warnings-card').hidden = result.warnings.length === 0;
  const dropped = result.droppedEntities ? ' · dropped unaligned entities: ' + result.droppedEntities : '';
  $('timings').textContent = Object.entries(result.timings).map(([k, v]) => k + ' ' + Math.round(v) + ' ms').join(' · ') + dropped;
}

// The API token, when the server has one: asked once, kept for this tab only (sessionStorage).
const TOKEN_KEY = 'ekmm.apiToken';
function showTokenRow(why) {
  $('token-row').hidden = false;
  $('token-why').textContent = why;
  $('token-input').focus();
}
if (CFG.apiTokenRequired && !sessionStorage.getItem(TOKEN_KEY)) showTokenRow('This server needs its API token (EKMM_API_TOKEN).');

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const files = [...$('image-input').files];
  const status = $('status');
  if (!$('text-input').value.trim() && files.length === 0) {
    status.className = 'error';
    status.textContent = 'Type a message or add an image first (paste or drop one here, or try the sample).';
    $('text-input').focus();
    return;
  }
  const typed = $('token-input').value.trim();
  if (typed) { sessionStorage.setItem(TOKEN_KEY, typed); $('token-input').value = ''; }
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (CFG.apiTokenRequired && !token) {
    showTokenRow('This server needs its API token (EKMM_API_TOKEN) first.');
    return;
  }
  $('token-row').hidden = true;
  const form = new FormData();
  form.append('text', $('text-input').value);
  form.append('language', $('language-input').value);
  for (const f of files) form.append('image', f, f.name);
  const button = $('submit');
  button.disabled = true; status.className = ''; status.textContent = 'Recognizing…';
  const started = performance.now();
  try {
    // The token goes in a header only: never in the URL, where it would reach logs and history.
    const headers = token ? { authorization: 'Bearer ' + token } : {};
    const res = await fetch('api/recognize', { method: 'POST', body: form, headers });
    const body = await res.json().catch(() => null);
    if (res.status === 401 || res.status === 403) {
      // Missing or refused: forget it, and ask again.
      sessionStorage.removeItem(TOKEN_KEY);
      showTokenRow(res.status === 401 ? 'This server needs its API token (EKMM_API_TOKEN).' : 'That API token was refused; type it again.');
      throw new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
    }
    if (!res.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + res.status);
    render(body, files);
    status.textContent = 'Done in ' + Math.round(performance.now() - started) + ' ms: ' + body.entities.length + ' entities.';
  } catch (err) {
    status.className = 'error'; status.textContent = 'Failed: ' + err.message;
  } finally { button.disabled = false; }
});
$('text-input').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('form').requestSubmit(); });

// Images also come from the clipboard (paste anywhere on the page) and from drag and drop onto
// the form; they join the file input's list, so one submit path sends them all.
function showAttached() {
  const names = [...$('image-input').files].map((f) => f.name);
  $('attached').textContent = names.length ? 'attached: ' + names.join(', ') : '';
}
function attach(newFiles) {
  const images = [...newFiles].filter((f) => f.type.startsWith('image/'));
  if (!images.length) return 0;
  const dt = new DataTransfer();
  for (const f of [...$('image-input').files, ...images]) dt.items.add(f);
  $('image-input').files = dt.files;
  showAttached();
  return images.length;
}
$('image-input').addEventListener('change', showAttached);
document.addEventListener('paste', (e) => {
  const files = e.clipboardData ? [...e.clipboardData.files] : [];
  if (attach(files)) e.preventDefault();
});
const formEl = $('form');
formEl.addEventListener('dragover', (e) => { e.preventDefault(); formEl.classList.add('dragging'); });
formEl.addEventListener('dragleave', (e) => { if (e.target === formEl) formEl.classList.remove('dragging'); });
formEl.addEventListener('drop', (e) => {
  e.preventDefault();
  formEl.classList.remove('dragging');
  if (e.dataTransfer) attach(e.dataTransfer.files);
});

// The sample: a message and a poster drawn here on a canvas, so it needs no file from the server.
const SAMPLE_TEXT = 'Barack Obama met Angela Merkel in Berlin before the G20 summit.';
$('sample').addEventListener('click', () => {
  $('text-input').value = SAMPLE_TEXT;
  const c = document.createElement('canvas');
  c.width = 900; c.height = 260;
  const g = c.getContext('2d');
  g.fillStyle = '#fff'; g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = '#111'; g.font = '52px sans-serif';
  g.fillText('Taylor Swift live in London', 40, 100);
  g.fillText('Wembley Stadium, 21 June', 40, 200);
  c.toBlob((blob) => {
    const dt = new DataTransfer();
    dt.items.add(new File([blob], 'sample-poster.png', { type: 'image/png' }));
    $('image-input').files = dt.files;
    showAttached();
    $('status').className = ''; $('status').textContent = 'Sample loaded: press Recognize.';
  }, 'image/png');
});
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage(opts: PageOptions): string {
  // JSON inside <script>: escaping "<" keeps "</script>" in a value from closing the element.
  const cfg = JSON.stringify({
    entityTypes: opts.entityTypes,
    maxSide: opts.maxSide,
    apiTokenRequired: opts.apiTokenRequired === true,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EKMM · entity recognition</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>EKMM</h1><span>multimodal named-entity recognition · v${escapeHtml(opts.version)}</span></header>
<main>
<form id="form" class="card">
  <h2>Message</h2>
  <div id="token-row" class="row" hidden>
    <label>API token <input id="token-input" type="password" autocomplete="off" spellcheck="false"></label>
    <span id="token-why" class="hint"></span> <span class="hint">Kept in this tab only, until it closes.</span>
  </div>
  <textarea id="text-input" name="text" placeholder="Type a message, e.g. Barack Obama met Angela Merkel in Berlin." aria-label="Message text"></textarea>
  <div class="row">
    <label>Language <select id="language-input" name="language"><option value="auto">auto</option><option value="en">English</option><option value="zh">中文</option></select></label>
    <label>Images <input id="image-input" type="file" name="image" accept="image/*" multiple></label>
    <button id="submit" type="submit">Recognize</button>
    <button id="sample" type="button" class="secondary">Try a sample</button>
    <span id="status" role="status"></span>
  </div>
  <p class="hint">Paste an image (Ctrl+V) or drop one on this box. <span id="attached"></span></p>
</form>
<section id="results" hidden>
  <div class="card"><h2>Entities in the text <span id="language-out" class="score"></span></h2><div id="legend"></div><div id="text-out"></div></div>
  <div class="card" id="images-card"><h2>Images: OCR lines and captions</h2><div id="image-list"></div></div>
  <div class="card"><h2>All entities</h2>
    <p id="entities-empty" class="empty">No entities found.</p>
    <div class="table-wrap"><table id="entity-table"><thead><tr><th>Text</th><th>Type</th><th>Source</th><th>Where</th><th class="score-col">Score</th><th>Backend</th></tr></thead><tbody id="entity-rows"></tbody></table></div>
  </div>
  <div class="card" id="warnings-card"><h2>Warnings</h2><ul id="warnings" class="warnings"></ul></div>
  <p id="timings" class="timings"></p>
</section>
</main>
<script type="application/json" id="ekmm-config">${cfg}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
