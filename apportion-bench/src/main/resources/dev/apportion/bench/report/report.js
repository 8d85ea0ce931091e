// apportion bench report: renders the embedded results (results.json content) with Chart.js.
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('bench-data').textContent);
  const main = document.getElementById('main');
  const hasChart = typeof window.Chart !== 'undefined';
  const palette = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666',
    '#1f78b4', '#b2df8a', '#fb9a99', '#cab2d6', '#6a3d9a', '#ff7f00', '#b15928', '#33a02c', '#a6cee3', '#fdbf6f',
    '#e31a1c', '#8dd3c7', '#bebada', '#80b1d3'];
  const labels = D.estimators.map(e => e.label);
  const colorOf = l => palette[Math.max(0, labels.indexOf(l)) % palette.length];

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v; else if (k === 'html') e.innerHTML = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  function fmt(x, d) {
    if (x === null || x === undefined || Number.isNaN(x)) return '–';
    return Number(x).toFixed(d === undefined ? 3 : d);
  }
  function ci(s) {
    if (!s || !s.ci95 || s.ci95[0] === null) return '';
    return ' [' + fmt(s.ci95[0]) + ', ' + fmt(s.ci95[1]) + ']';
  }
  function table(head, rows, cls) {
    const t = el('table', {class: cls || ''});
    t.append(el('thead', null, el('tr', null, ...head.map(h => el('th', null, h)))));
    const tb = el('tbody');
    for (const r of rows) tb.append(el('tr', null, ...r.map(c => c instanceof Node ? el('td', null, c) : el('td', null, c))));
    t.append(tb);
    return t;
  }
  function section(title, id) {
    const s = el('section', {id: id || ''}, el('h2', null, title));
    main.append(s);
    return s;
  }
  const whiskers = {
    id: 'whiskers',
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      chart.data.datasets.forEach((ds, i) => {
        if (!ds.ci) return;
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const c = ds.ci[j];
          if (!c || c[0] === null || c[1] === null) return;
          const y = chart.scales.y;
          const y0 = y.getPixelForValue(c[0]);
          const y1 = y.getPixelForValue(c[1]);
          ctx.save();
          ctx.strokeStyle = '#222';
          ctx.lineWidth = 1.2;
          ctx.beginPath();
          ctx.moveTo(bar.x, y0); ctx.lineTo(bar.x, y1);
          ctx.moveTo(bar.x - 3, y0); ctx.lineTo(bar.x + 3, y0);
          ctx.moveTo(bar.x - 3, y1); ctx.lineTo(bar.x + 3, y1);
          ctx.stroke();
          ctx.restore();
        });
      });
    }
  };
  function canvas(parent, h) {
    const box = el('div', {class: 'chart', style: 'height:' + (h || 300) + 'px'});
    const c = el('canvas');
    box.append(c);
    parent.append(box);
    return c;
  }

  // ---- leaderboard ----
  const lb = section('Leaderboard', 'leaderboard');
  lb.append(el('p', {class: 'note'}, 'Mean over the suite\'s leaderboard tasks of each metric (per-task means over seeds). ' +
    'Higher is better except leakage and credit noise. "tasks" = tasks the estimator could run on. Timing (ms per batch) is measured, not reproducible.'));
  const timing = (D.timing && D.timing.assign_time_per_batch) || {};
  lb.append(table(['#', 'estimator', 'tasks', 'rank corr.', 'sign agr.', 'AUROC', 'leakage', 'credit noise', 'learn AUC', 'final success', 'ms / batch'],
    D.leaderboard.map((r, i) => [i + 1, r.estimator, r.tasks, fmt(r.spearman), fmt(r.sign_agreement), fmt(r.auroc), fmt(r.leakage),
      fmt(r.credit_noise), fmt(r.learn_auc), fmt(r.final_success), timing[r.estimator] ? fmt(timing[r.estimator].ms_per_batch, 2) : '–']), 'num'));

  // ---- claims ----
  const cl = section('Claims re-tested', 'claims');
  const crow = [];
  for (const c of D.claims) {
    const st = el('span', {class: 'status ' + c.status.replace(/ /g, '-')}, c.status);
    if (c.rows.length === 0) {
      crow.push([c.id, c.statement, c.metric + ' (' + c.expect + ')', st, c.reason || '', '', '']);
    }
    c.rows.forEach((r, k) => crow.push([k === 0 ? c.id : '', k === 0 ? c.statement : '', k === 0 ? c.metric + ' (' + c.expect + ')' : '',
      k === 0 ? st : '', r.comparison + ' on ' + r.task, fmt(r.difference.mean) + ci(r.difference), r.verdict]));
  }
  cl.append(table(['claim', 'statement', 'metric (expected)', 'status', 'comparison', 'difference [95% CI]', 'verdict'], crow));

  // ---- bsuite ----
  if (D.bsuite.length) {
    const bs = section('bsuite scores', 'bsuite');
    bs.append(el('p', {class: 'note'}, 'bsuite\'s scoring formulas on the training episodes of the learning comparison (the suite\'s episode budget, not bsuite\'s).'));
    bs.append(table(['experiment', 'estimator', 'score', 'per setting'], D.bsuite.map(b =>
      [b.experiment, b.estimator, fmt(b.score, 2), b.settings.map((s, i) => s.replace(/^.*\[/, '[') + ' ' + fmt(b.values[i], 2)).join('  ')]), 'num'));
  }

  // ---- tasks ----
  const tasksSec = section('Tasks', 'tasks');
  const suiteTasks = D.tasks.filter(t => t.in_suite);
  const otherTasks = D.tasks.filter(t => !t.in_suite);
  function renderTask(t, parent) {
    const box = el('div', {class: 'task'});
    box.append(el('h3', null, t.id + ' ', el('span', {class: 'fam'}, t.family)));
    const md = t.metadata || {};
    const dec = md.decisive_steps || {};
    const rw = md.reward || {};
    box.append(el('p', {class: 'meta'}, 'knobs: ' + JSON.stringify(t.explicit_knobs) + ' · horizon: ' + JSON.stringify(md.horizon) +
      ' · reward: ' + (rw.sparsity || '') + ' · observability: ' + (md.observability || '') + ' · decisive: ' + (dec.rule || '') +
      ' · stochastic transitions: ' + md.stochastic_transitions));
    const ok = Object.entries(t.credit_quality).filter(([, v]) => v.status === 'ok');
    if (ok.length && hasChart) {
      const mets = ['spearman', 'sign_agreement', 'auroc'].filter(m => ok[0][1].metrics[m]);
      const c = canvas(box, 280);
      new Chart(c, {
        type: 'bar',
        data: {
          labels: ok.map(([l]) => l),
          datasets: mets.map((m, i) => ({
            label: m, backgroundColor: ['#4575b4', '#91bfdb', '#fc8d59'][i],
            data: ok.map(([, v]) => v.metrics[m].mean), ci: ok.map(([, v]) => v.metrics[m].ci95)
          }))
        },
        options: {animation: false, maintainAspectRatio: false, scales: {y: {min: -1, max: 1}},
          plugins: {title: {display: true, text: 'Credit quality (mean over seeds, 95% CI)'}}},
        plugins: [whiskers]
      });
    }
    const mnames = t.credit_metrics;
    box.append(table(['estimator', 'status', ...mnames], Object.entries(t.credit_quality).map(([l, v]) =>
      [l, v.status === 'ok' ? 'ok' : v.status + ': ' + (v.reason || ''), ...mnames.map(m => v.metrics && v.metrics[m] ? fmt(v.metrics[m].mean) + ci(v.metrics[m]) : '–')]), 'num small'));
    if (t.learning) {
      const lok = Object.entries(t.learning).filter(([, v]) => v.status === 'ok');
      if (lok.length && hasChart) {
        const c = canvas(box, 300);
        const ds = [];
        for (const [l, v] of lok) {
          const col = colorOf(l);
          const pts = (arr) => v.curve.episodes.map((e, i) => ({x: e, y: arr[i]}));
          ds.push({label: '', data: pts(v.curve.ci_low), borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: col + '22'});
          ds.push({label: '', data: pts(v.curve.ci_high), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: col + '22'});
          ds.push({label: l, data: pts(v.curve.success_mean), borderColor: col, backgroundColor: col, pointRadius: 0, borderWidth: 2, fill: false});
        }
        new Chart(c, {type: 'line', data: {datasets: ds}, options: {animation: false, maintainAspectRatio: false, parsing: true,
          scales: {x: {type: 'linear', title: {display: true, text: 'episodes'}}, y: {min: 0, max: 1, title: {display: true, text: 'success probability (exact)'}}},
          plugins: {legend: {labels: {filter: it => it.text !== ''}}, title: {display: true, text: 'Learning curves (mean, 95% band)'}}}});
      }
      box.append(table(['estimator', 'status', 'learn AUC', 'final success', 'episodes to threshold', 'reached'],
        Object.entries(t.learning).map(([l, v]) => v.status !== 'ok' ? [l, v.status + ': ' + (v.reason || ''), '', '', '', ''] :
          [l, 'ok', fmt(v.metrics.learn_auc.mean) + ci(v.metrics.learn_auc), fmt(v.metrics.final_success.mean) + ci(v.metrics.final_success),
            fmt(v.metrics.episodes_to_threshold.mean, 0), fmt(v.metrics.reached_threshold.mean, 2)]), 'num small'));
    }
    if (t.examples) box.append(heat(t));
    parent.append(box);
  }
  function heat(t) {
    const d = el('div', {class: 'heat'});
    d.append(el('h4', null, 'Turn credit on example trajectories (seed 0, batch 0), each row scaled to its own max |credit|; blue > 0, red < 0'));
    for (const ex of t.examples) {
      const tb = el('table', {class: 'strip'});
      const n = ex.true_advantage.length;
      const head = el('tr', null, el('th', null, ex.trajectory + (ex.success ? ' (success)' : ' (failure)') + (ex.truncated ? ', first ' + n + ' turns' : '')));
      for (let i = 0; i < n; i++) head.append(el('th', {title: ex.states[i] + ' → ' + ex.actions[i] + ' (' + ex.labels[i] + ')'},
        ex.labels[i] === 'decisive' ? '◆' : ex.labels[i] === 'local' ? '·' : ''));
      tb.append(head);
      const rows = [['truth (oracle)', ex.true_advantage], ...Object.entries(ex.credit).filter(([l]) => l !== 'oracle')];
      for (const [l, vals] of rows) {
        const mx = Math.max(1e-12, ...vals.map(v => Math.abs(v || 0)));
        const tr = el('tr', null, el('th', {class: 'rowlabel'}, l));
        vals.forEach((v, i) => {
          const a = Math.min(1, Math.abs(v || 0) / mx);
          const bg = (v || 0) >= 0 ? 'rgba(33,102,172,' + a.toFixed(3) + ')' : 'rgba(178,24,43,' + a.toFixed(3) + ')';
          tr.append(el('td', {style: 'background:' + bg, title: l + ' turn ' + i + ': ' + fmt(v, 4) + ' (' + ex.actions[i] + ')'}));
        });
        tb.append(tr);
      }
      d.append(tb);
    }
    return d;
  }
  suiteTasks.forEach(t => renderTask(t, tasksSec));
  if (otherTasks.length) {
    const det = el('details', null, el('summary', null, 'Task configurations added by the claims (' + otherTasks.length + ')'));
    otherTasks.forEach(t => renderTask(t, det));
    tasksSec.append(det);
  }

  // ---- skipped, signals, provenance ----
  const sk = section('Skipped estimators', 'skipped');
  sk.append(D.skipped.length ? table(['task', 'estimator', 'phase', 'reason'], D.skipped.map(s => [s.task, s.estimator, s.phase, s.reason]))
    : el('p', null, 'none'));
  const sg = section('Signals the tasks produce', 'signals');
  sg.append(table(['level', 'name', 'definition'], D.signals.map(s => [s.level, s.name, s.definition])));
  const pv = section('Provenance and reporting checklist', 'provenance');
  pv.append(el('pre', null, JSON.stringify({provenance: D.provenance, report: D.report}, null, 2)));
  if (!hasChart) main.prepend(el('p', {class: 'warn'}, 'Chart.js is not available in this build: charts are omitted, tables are complete.'));
})();
