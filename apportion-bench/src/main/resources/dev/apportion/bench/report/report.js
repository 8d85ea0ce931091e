// apportion bench report: the page's tables are plain HTML (written by HtmlReport); this script
// adds the charts (Chart.js, inlined), column sorting, the leaderboard filter and "show all"
// toggles. It reads the embedded results (the content of results.json). Deterministic: no
// randomness, no clock, no network.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  const D = JSON.parse(document.getElementById('bench-data').textContent);
  const hasChart = typeof window.Chart !== 'undefined';
  const TOP_CREDIT = 15;
  const TOP_LEARN = 6;
  const COLORS = {oracle: '#1a7f37', random: '#8c959f', baseline: '#e08a1e', other: '#4a78b5'};
  // lines of the learning chart: distinct, colour-blind-friendlier hues (Tableau 10 without green and grey)
  const LINE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#2f4b7c', '#d4a6c8'];

  // ---- roles: references (oracle, random) and outcome-level baselines ----
  const role = {};
  const baselines = ((D.report || {}).baselines || {}).outcome_level_baselines || [];
  baselines.forEach(l => { role[l] = 'baseline'; });
  (D.estimators || []).forEach(e => { if (e.registry_id === 'oracle' || e.registry_id === 'random') role[e.label] = e.registry_id; });
  const isRef = l => role[l] === 'oracle' || role[l] === 'random';
  const colorOf = l => COLORS[role[l] || 'other'];

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function fmt(x, d) {
    if (x === null || x === undefined || Number.isNaN(x)) return '–';
    return Number(x).toFixed(d === undefined ? 3 : d);
  }
  const lowerIsBetter = m => m.indexOf('leakage') >= 0 || m.indexOf('noise') >= 0;
  const METRIC = {spearman: 'rank correlation', sign_agreement: 'sign agreement', auroc: 'AUROC', leakage: 'leakage',
    credit_noise: 'credit noise', token_spearman: 'token rank corr.', token_sign_agreement: 'token sign agr.',
    token_auroc: 'token AUROC', token_leakage: 'token leakage', agent_spearman: 'agent rank corr.'};
  const metricName = m => METRIC[m] || m.replace(/_/g, ' ');

  // ---- sortable tables: click a heading; numbers sort best first (data-low: ascending first) ----
  function sortable(table) {
    const head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    const ths = Array.from(head.cells);
    ths.forEach((th, i) => {
      th.tabIndex = 0;
      const go = () => {
        const num = th.dataset.type === 'num';
        const cur = th.getAttribute('aria-sort');
        const dir = cur ? (cur === 'ascending' ? 'descending' : 'ascending') : (num && !th.dataset.low ? 'descending' : 'ascending');
        ths.forEach(h => h.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', dir);
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        const keyOf = r => { const c = r.cells[i]; return c ? (c.dataset.v !== undefined ? c.dataset.v : c.textContent.trim()) : ''; };
        rows.sort((a, b) => {
          const x = keyOf(a);
          const y = keyOf(b);
          if (x === '' || y === '') return x === y ? 0 : (x === '' ? 1 : -1);
          const r = num ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
          return dir === 'ascending' ? r : -r;
        });
        rows.forEach(r => body.append(r));
      };
      th.addEventListener('click', go);
      th.addEventListener('keydown', ev => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
    });
  }
  document.querySelectorAll('table.sortable').forEach(sortable);

  // ---- leaderboard filter ----
  const full = document.getElementById('lb-full');
  if (full) full.addEventListener('change', () => {
    document.querySelectorAll('#leaderboard-table tbody tr[data-full="0"]').forEach(r => { r.style.display = full.checked ? 'none' : ''; });
  });

  // ---- heat strips: top rows, then "show all" ----
  document.querySelectorAll('.heat').forEach(h => {
    const btn = h.querySelector('.heat-toggle');
    if (!btn) return;
    const more = btn.textContent;
    h.classList.add('collapsed');
    btn.addEventListener('click', () => {
      const c = h.classList.toggle('collapsed');
      btn.textContent = c ? more : 'show top ' + h.dataset.top + ' only';
    });
  });

  // ---- open <details> around the target of a link ----
  function reveal() {
    if (!location.hash) return;
    let t = null;
    try { t = document.getElementById(decodeURIComponent(location.hash.slice(1))); } catch (e) { t = null; }
    if (!t) return;
    let opened = false;
    for (let p = t.parentElement; p; p = p.parentElement) if (p.tagName === 'DETAILS' && !p.open) { p.open = true; opened = true; }
    if (opened) t.scrollIntoView();
  }
  window.addEventListener('hashchange', reveal);

  if (!hasChart) {
    const m = document.querySelector('main');
    m.prepend(el('p', {class: 'warn'}, 'Chart.js is not available in this build: charts are omitted, tables are complete.'));
    document.querySelectorAll('.credit-chart, .learn-chart').forEach(c => c.remove());
    reveal();
    return;
  }
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 11.5;
  Chart.defaults.color = '#3d444d';
  Chart.defaults.animation = false;

  function buttons(parent, title, items, onPick) {
    const g = el('span', {class: 'group', role: 'group', 'aria-label': title});
    const bs = items.map(([value, text]) => {
      const b = el('button', {type: 'button', 'aria-pressed': 'false'}, text);
      b.addEventListener('click', () => { bs.forEach(x => x.setAttribute('aria-pressed', String(x === b))); onPick(value); });
      g.append(b);
      return b;
    });
    parent.append(el('span', null, title + ' '), g);
    return bs;
  }

  // whiskers of 95% intervals on horizontal bars (dataset.ci[j] = [lo, hi])
  const whiskers = {
    id: 'whiskers',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      const xs = chart.scales.x;
      chart.data.datasets.forEach((ds, i) => {
        if (!ds.ci) return;
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const c = ds.ci[j];
          if (!c || c[0] === null || c[1] === null) return;
          const x0 = xs.getPixelForValue(c[0]);
          const x1 = xs.getPixelForValue(c[1]);
          const hh = Math.min(5, bar.height / 2);
          ctx.save();
          ctx.strokeStyle = '#1f2328';
          ctx.lineWidth = 1.2;
          ctx.beginPath();
          ctx.moveTo(x0, bar.y); ctx.lineTo(x1, bar.y);
          ctx.moveTo(x0, bar.y - hh); ctx.lineTo(x0, bar.y + hh);
          ctx.moveTo(x1, bar.y - hh); ctx.lineTo(x1, bar.y + hh);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };

  // ---- credit quality: one metric at a time, horizontal bars sorted best first, 95% whiskers ----
  function creditChart(box) {
    const task = D.tasks[Number(box.dataset.task)];
    const cq = task.credit_quality;
    const ok = Object.keys(cq).filter(l => cq[l].status === 'ok' && cq[l].metrics);
    const metrics = (task.credit_metrics || []).filter(m => ok.some(l => cq[l].metrics[m]));
    if (!ok.length || !metrics.length) { box.remove(); return; }
    let metric = metrics[0];
    let all = ok.length <= TOP_CREDIT + 2;
    const controls = el('div', {class: 'controls'});
    const legend = el('div', {class: 'legend'});
    const present = new Set(ok.map(l => role[l] || 'other'));
    [['oracle', 'oracle (reference)'], ['random', 'random (reference)'], ['baseline', 'outcome-level baseline'], ['other', 'other estimator']]
      .filter(([k]) => present.has(k))
      .forEach(([k, t]) => legend.append(el('span', null, el('span', {class: 'swatch', style: 'background:' + COLORS[k]}), t)));
    legend.append(el('span', null, '━ 95% interval over seeds'));
    const holder = el('div', {class: 'chart'});
    const canvas = el('canvas', {role: 'img', 'aria-label': 'credit quality of the estimators on ' + task.id});
    holder.append(canvas);
    box.append(controls, legend, holder);
    const mb = buttons(controls, 'metric:', metrics.map(m => [m, metricName(m) + (lowerIsBetter(m) ? ' ↓' : '')]), m => { metric = m; draw(); });
    mb[0].setAttribute('aria-pressed', 'true');
    let sb = null;
    if (ok.length > TOP_CREDIT + 2) {
      sb = buttons(controls, ' show:', [[false, 'top ' + TOP_CREDIT + ' + references'], [true, 'all ' + ok.length]], v => { all = v; draw(); });
      sb[0].setAttribute('aria-pressed', 'true');
    }
    const note = el('span', {class: 'ci'});
    controls.append(note);
    let chart = null;
    function draw() {
      const val = l => { const s = cq[l].metrics[metric]; return s && s.mean !== null ? s.mean : NaN; };
      const low = lowerIsBetter(metric);
      const sorted = ok.filter(l => cq[l].metrics[metric]).sort((a, b) => {
        const x = val(a), y = val(b);
        if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a.localeCompare(b) : (Number.isNaN(x) ? 1 : -1);
        return (low ? x - y : y - x) || a.localeCompare(b);
      });
      const top = new Set(sorted.slice(0, TOP_CREDIT));
      const shown = all ? sorted : sorted.filter(l => top.has(l) || isRef(l));
      note.textContent = (all ? 'all ' + shown.length : 'top ' + TOP_CREDIT + ' of ' + sorted.length + ' by ' + metricName(metric) + ', plus references') +
        (low ? ' · lower is better' : '');
      const ci = shown.map(l => cq[l].metrics[metric].ci95);
      let lo = 0, hi = 0;
      shown.forEach((l, j) => {
        [val(l), ci[j] && ci[j][0], ci[j] && ci[j][1]].forEach(v => { if (typeof v === 'number' && !Number.isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
      });
      const pad = (hi - lo) * 0.03 || 0.05;
      holder.style.height = (shown.length * 19 + 56) + 'px';
      const data = {
        labels: shown,
        datasets: [{label: metricName(metric), data: shown.map(val), ci, backgroundColor: shown.map(colorOf),
          barPercentage: 0.85, categoryPercentage: 0.9}]
      };
      const options = {
        indexAxis: 'y', responsive: true, maintainAspectRatio: false,
        scales: {
          x: {beginAtZero: true, suggestedMin: lo < 0 ? lo - pad : 0, max: hi <= 1 ? 1 : undefined, suggestedMax: hi + pad, title: {display: true, text: metricName(metric) + ' (mean over seeds, 95% interval)'},
            grid: {color: ctx => (ctx.tick && ctx.tick.value === 0 ? '#57606a' : '#e5e8eb')}},
          y: {ticks: {autoSkip: false, font: {size: 11}}, grid: {display: false}}
        },
        plugins: {
          legend: {display: false},
          tooltip: {callbacks: {label: ctx => {
            const c = ci[ctx.dataIndex];
            return metricName(metric) + ' ' + fmt(ctx.raw) + (c && c[0] !== null ? '  [' + fmt(c[0]) + ', ' + fmt(c[1]) + ']' : '');
          }}}
        }
      };
      if (chart) { chart.data = data; chart.options = options; chart.resize(); chart.update(); } else chart = new Chart(canvas, {type: 'bar', data, options, plugins: [whiskers]});
    }
    draw();
  }

  // ---- learning curves: a few estimators at a time, picked with chips ----
  function learnChart(box) {
    const task = D.tasks[Number(box.dataset.task)];
    const L = task.learning;
    const auc = l => { const m = L[l].metrics && L[l].metrics.learn_auc; return m && m.mean !== null ? m.mean : -Infinity; };
    const ok = Object.keys(L).filter(l => L[l].status === 'ok' && L[l].curve).sort((a, b) => (auc(b) - auc(a)) || a.localeCompare(b));
    if (!ok.length) { box.remove(); return; }
    const topN = ok.filter(l => !isRef(l)).slice(0, TOP_LEARN);
    const preset = {
      top: () => new Set([...ok.filter(isRef), ...topN]),
      baselines: () => new Set(ok.filter(l => role[l])),
      all: () => new Set(ok),
      none: () => new Set()
    };
    let picked = preset.top();
    const controls = el('div', {class: 'controls'});
    const pick = el('div', {class: 'pick', role: 'group', 'aria-label': 'estimators shown'});
    const holder = el('div', {class: 'chart', style: 'height:360px'});
    const canvas = el('canvas', {role: 'img', 'aria-label': 'learning curves on ' + task.id});
    holder.append(canvas);
    box.append(controls, pick, holder);
    if (ok.length <= TOP_LEARN + 2) picked = preset.all();
    const choices = ok.length <= TOP_LEARN + 2 ? [['all', 'all ' + ok.length], ['none', 'none']]
      : [['top', 'references + top ' + TOP_LEARN + ' by learn AUC'], ['baselines', 'references + baselines'], ['all', 'all ' + ok.length], ['none', 'none']];
    const pb = buttons(controls, 'show:', choices, v => { picked = preset[v](); draw(); });
    pb[0].setAttribute('aria-pressed', 'true');
    controls.append(el('span', {class: 'ci'}, 'or click names (ordered by learn AUC) · shaded: 95% band over seeds'));
    const chips = {};
    ok.forEach(l => {
      const b = el('button', {type: 'button', title: l + ': learn AUC ' + fmt(auc(l))}, el('span', {class: 'swatch'}), l);
      b.addEventListener('click', () => {
        if (picked.has(l)) picked.delete(l); else picked.add(l);
        pb.forEach(x => x.setAttribute('aria-pressed', 'false'));
        draw();
      });
      chips[l] = b;
      pick.append(b);
    });
    let chart = null;
    function draw() {
      const shown = ok.filter(l => picked.has(l));
      const col = {};
      let k = 0;
      shown.forEach(l => { col[l] = isRef(l) ? COLORS[role[l]] : LINE[k++ % LINE.length]; });
      ok.forEach(l => {
        const on = picked.has(l);
        chips[l].setAttribute('aria-pressed', String(on));
        chips[l].firstChild.style.background = on ? col[l] : 'transparent';
      });
      const ds = [];
      for (const l of shown) {
        const v = L[l];
        const pts = arr => v.curve.episodes.map((e, i) => ({x: e, y: arr[i]}));
        const c = col[l];
        ds.push({label: l, band: true, data: pts(v.curve.ci_low), borderWidth: 0, pointRadius: 0, fill: false});
        ds.push({label: l, band: true, data: pts(v.curve.ci_high), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: c + '24'});
        ds.push({label: l, data: pts(v.curve.success_mean), borderColor: c, backgroundColor: c, pointRadius: 0, pointHoverRadius: 3,
          borderWidth: role[l] === 'oracle' ? 3 : 2, borderDash: role[l] === 'random' ? [5, 4] : [], fill: false});
      }
      const data = {datasets: ds};
      const options = {
        responsive: true, maintainAspectRatio: false, parsing: true,
        interaction: {mode: 'index', intersect: false},
        scales: {x: {type: 'linear', title: {display: true, text: 'training episodes'}},
          y: {min: 0, max: 1, title: {display: true, text: 'success probability (exact)'}}},
        plugins: {
          legend: {display: false},
          tooltip: {filter: it => !it.dataset.band, itemSort: (a, b) => b.parsed.y - a.parsed.y,
            callbacks: {label: ctx => ctx.dataset.label + ' ' + fmt(ctx.parsed.y)}}
        }
      };
      if (chart) { chart.data = data; chart.options = options; chart.update(); } else chart = new Chart(canvas, {type: 'line', data, options});
    }
    draw();
  }

  // charts inside a closed <details> are drawn when it opens (a hidden canvas has no size)
  function whenVisible(box, f) {
    let closed = null;
    for (let p = box.parentElement; p; p = p.parentElement) if (p.tagName === 'DETAILS' && !p.open) closed = p;
    if (!closed) { f(box); return; }
    const once = () => { closed.removeEventListener('toggle', once); whenVisible(box, f); };
    closed.addEventListener('toggle', once);
  }
  document.querySelectorAll('.credit-chart').forEach(b => whenVisible(b, creditChart));
  document.querySelectorAll('.learn-chart').forEach(b => whenVisible(b, learnChart));
  reveal();
})();
