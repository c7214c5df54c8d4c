// The page: queue images (drop or pick), send them with optional references, then follow each image's events
// (GET /api/events?ids=...) until its caption and score arrive. The runs panel polls GET /api/runs.
'use strict';

const queue = [];            // { file, refs: <textarea> }
const cards = new Map();     // image id -> card element
const STAGES = ['encoder', 'adapter', 'llm', 'eval'];

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function addFiles(files) {
  for (const file of files) {
    const li = el('li');
    li.append(el('div', {}, file.name + ' (' + Math.round(file.size / 1024) + ' KiB)'));
    const refs = el('textarea', { placeholder: 'reference captions, one per line (optional)', 'aria-label': 'references for ' + file.name });
    li.append(refs);
    $('#queue').append(li);
    queue.push({ file, refs });
  }
  $('#send').disabled = queue.length === 0;
}

async function send() {
  const batch = queue.splice(0, queue.length);
  $('#queue').replaceChildren();
  $('#send').disabled = true;
  const status = $('#upload-status');
  status.className = '';
  status.textContent = 'sending ' + batch.length + ' image' + (batch.length === 1 ? '' : 's') + '…';
  const form = new FormData();
  for (const item of batch) {
    form.append('image', item.file, item.file.name);
    form.append('references', item.refs.value);
  }
  let body;
  try {
    const response = await fetch('api/images', { method: 'POST', body: form });
    body = await response.json();
    if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
  } catch (e) {
    status.className = 'error';
    status.textContent = 'not sent: ' + e.message;
    return;
  }
  status.textContent = 'sent ' + body.ids.length + '; waiting for captions';
  const cardsOfBatch = body.ids.map((id, i) => addCard(id, batch[i].file, batch[i].refs.value.trim() !== ''));
  follow(body.ids, () => {
    const done = cardsOfBatch.filter((c) => c.done).length;
    status.textContent = done === cardsOfBatch.length ? 'all ' + done + ' done'
      : done + ' of ' + cardsOfBatch.length + ' done; waiting for the rest';
  });
}

// A card is done when nothing more will come: scored, failed, or captioned without references to score against.
function addCard(id, file, scored) {
  const card = el('div', { class: 'card', 'data-id': id });
  card.expectsScore = scored;
  const img = el('img', { alt: file.name });
  img.src = URL.createObjectURL(file);
  card.append(img, el('div', { class: 'id' }, id), el('span', { class: 'state queued' }, 'queued'),
    el('div', { class: 'caption' }), el('div', { class: 'score' }), el('div', { class: 'latency' }),
    el('div', { class: 'reason' }));
  $('#results').prepend(card);
  cards.set(id, card);
  return card;
}

function follow(ids, progress) {
  const source = new EventSource('api/events?ids=' + encodeURIComponent(ids.join(',')));
  source.onmessage = (message) => {
    show(JSON.parse(message.data));
    progress();
  };
}

function setState(card, state) {
  const badge = card.querySelector('.state');
  badge.className = 'state ' + state;
  badge.textContent = state;
}

// Per-stage latency from the submit time and each stage's emit time; a score's own record time is eval's.
function latencies(card, event) {
  const times = card.times || (card.times = {});
  if (event.submitTime != null) times.submit = event.submitTime;
  Object.assign(times, event.stageTimes || {});
  if (event.kind === 'SCORED' && times.eval == null) times.eval = event.recordTime;
  if (times.submit == null) return '';
  let previous = times.submit;
  const parts = [];
  for (const stage of STAGES) {
    const t = times[stage];
    if (t == null) continue;
    parts.push(stage + ' ' + Math.max(0, t - previous) + ' ms');
    previous = t;
  }
  return parts.join(' · ');
}

function show(event) {
  const card = cards.get(event.id);
  if (!card) return;
  switch (event.kind) {
    case 'ENCODED':
      setState(card, 'encoded');
      break;
    case 'CAPTIONED':
      setState(card, 'captioned');
      card.querySelector('.caption').textContent = event.caption.text;
      card.done = !card.expectsScore;
      break;
    case 'SCORED': {
      setState(card, 'scored');
      card.done = true;
      const s = event.score;
      card.querySelector('.score').textContent = 'P ' + s.P.toFixed(3) + '  R ' + s.R.toFixed(3) + '  F ' + s.F.toFixed(3);
      break;
    }
    case 'FAILED':
      setState(card, 'failed');
      card.done = true;
      card.querySelector('.reason').textContent = event.deadLetter.stage + ': ' + event.deadLetter.reason;
      break;
  }
  const line = latencies(card, event);
  if (line) card.querySelector('.latency').textContent = line;
}

// A model given as a directory shows as its last segment (the full name is the cell's tooltip).
function shortName(model) {
  if (!model) return '–';
  const parts = model.split(/[\\/]/).filter((p) => p);
  return model.includes('/') && model.startsWith('/') ? parts[parts.length - 1] : model;
}

async function refreshRuns() {
  let runs;
  try {
    runs = await (await fetch('api/runs')).json();
  } catch (e) {
    return;
  }
  const rows = runs.map((r) => {
    const tr = el('tr');
    const ci = r.F.ci95 == null ? '–' : '± ' + r.F.ci95.toFixed(3);
    for (const v of [r.run || '–', r.adapter || '–', shortName(r.model), r.count, r.F.mean.toFixed(3), ci]) {
      tr.append(el('td', {}, String(v)));
    }
    tr.children[2].title = r.model || '';
    return tr;
  });
  $('#runs tbody').replaceChildren(...rows);
  chart(runs);
}

// Mean F per run (bars) with its 95% interval (whiskers), on a 0–1 axis.
function chart(runs) {
  const svg = $('#runs-chart');
  const ns = 'http://www.w3.org/2000/svg';
  const w = svg.clientWidth || 300, h = svg.clientHeight || 160, pad = 24;
  svg.replaceChildren();
  const make = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  const y = (f) => h - pad - f * (h - 2 * pad);
  make('line', { x1: pad, x2: w - 4, y1: y(0), y2: y(0), stroke: '#d9dee7' });
  make('text', { x: 2, y: y(1) + 4, 'font-size': 10, fill: '#667085' }, '1');
  make('text', { x: 2, y: y(0) + 4, 'font-size': 10, fill: '#667085' }, '0');
  const step = (w - pad - 4) / Math.max(1, runs.length);
  runs.forEach((r, i) => {
    const x = pad + i * step + step * 0.2, bw = step * 0.6, m = r.F.mean;
    make('rect', { x, y: y(m), width: bw, height: y(0) - y(m), fill: '#2f6fde', opacity: 0.8 });
    make('text', { x: x + bw / 2, y: y(m) + 14, 'font-size': 11, 'text-anchor': 'middle', fill: '#fff' }, 'F ' + m.toFixed(3));
    if (r.F.ci95 != null) {
      const cx = x + bw / 2;
      make('line', { x1: cx, x2: cx, y1: y(Math.min(1, m + r.F.ci95)), y2: y(Math.max(0, m - r.F.ci95)), stroke: '#1d2430' });
    }
    make('text', { x: x + bw / 2, y: h - 6, 'font-size': 10, 'text-anchor': 'middle', fill: '#667085' },
      (r.run || r.adapter || 'run').slice(0, 20));
  });
}

const drop = $('#drop-zone');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); addFiles(e.dataTransfer.files); });
$('#file-input').addEventListener('change', (e) => { addFiles(e.target.files); e.target.value = ''; });
$('#send').addEventListener('click', send);
refreshRuns();
setInterval(refreshRuns, 3000);
