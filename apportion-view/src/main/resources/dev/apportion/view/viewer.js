// apportion credit viewer: the page of 'apportion inspect' (data embedded as one JSON blob of
// compact arrays) and of 'apportion serve' at / (data computed through POST /v1/credit).
// Rendering is virtualised: every trajectory gets a light header card up front; its tokens
// (one DOM node each) and its per-turn chart exist only while the card is near the viewport.
// Deterministic: no randomness, no clock in the output, no network in the inspect page.
(function () {
  'use strict';
  const V = window.ApView;
  const $ = (id) => document.getElementById(id);
  const hasChart = V.chartDefaults();
  const CONFIG = JSON.parse($('ap-config').textContent);

  let M = null;            // the model (see fromBlob / fromJsonl)
  let stats = null;        // per estimator: maxAbs, meanPolicy per trajectory
  let view = {a: 0, b: -1, compare: false};
  let observer = null;
  const live = new Map();  // trajectory -> {charts}

  // ---------------------------------------------------------------------------------------
  // model
  // ---------------------------------------------------------------------------------------

  /** The model from the embedded blob (InspectData on the Java side). */
  function fromBlob(d) {
    return {
      prov: d.prov, groups: d.groups, g: Int32Array.from(d.g), id: d.id, out: d.out, outLabel: d.outLabel || null,
      tok: Int32Array.from(d.tok), sp: Int32Array.from(d.sp), sl: Int32Array.from(d.sl), sr: Uint8Array.from(d.sr),
      sag: Int32Array.from(d.sag), agents: d.agents, text: d.text,
      est: d.est.map(e => ({id: e.id, label: e.label, preset: e.preset, params: e.params, a: V.f32(e.a), span: V.f32(e.span)})),
      findings: d.findings || []
    };
  }

  /** The model from rollout JSONL text and the credit JSONL of each estimator (served mode). */
  function fromJsonl(rolloutText, runs, source) {
    const lines = rolloutText.split(/\r?\n/);
    const groupIdx = new Map(), agentIdx = new Map();
    const m = {prov: {source: source, apportion: CONFIG.version}, groups: [], g: [], id: [], out: [], outLabel: null,
      tok: [0], sp: [0], sl: [], sr: [], sag: [], agents: [], text: null, est: [], findings: []};
    const texts = [];
    let anyText = false;
    lines.forEach((line, ln) => {
      if (!line.trim()) return;
      const r = JSON.parse(ln === 0 ? line.replace(/^\uFEFF/, '') : line);
      if (!groupIdx.has(r.group)) { groupIdx.set(r.group, m.groups.length); m.groups.push(r.group); }
      m.g.push(groupIdx.get(r.group));
      m.id.push(r.id !== undefined ? r.id : String(ln + 1));
      let o = null;
      if (typeof r.outcome === 'number') o = r.outcome;
      else if (r.outcome && typeof r.outcome === 'object') {
        const vals = Object.values(r.outcome).filter(x => typeof x === 'number');
        o = vals.length ? vals.reduce((s, x) => s + x, 0) : null;
        m.outLabel = 'sum of outcome components';
      }
      m.out.push(o);
      const spans = r.spans || [{role: 'policy', tokens: r.tokens || 0}];
      let n = 0;
      for (const s of spans) {
        m.sl.push(s.tokens); m.sr.push(s.role === 'policy' ? 1 : 0);
        if (s.agent !== undefined && s.agent !== null) {
          if (!agentIdx.has(s.agent)) { agentIdx.set(s.agent, m.agents.length); m.agents.push(s.agent); }
          m.sag.push(agentIdx.get(s.agent));
        } else m.sag.push(-1);
        n += s.tokens;
      }
      m.tok.push(m.tok[m.tok.length - 1] + n);
      m.sp.push(m.sp[m.sp.length - 1] + spans.length);
      if (r.text) { anyText = true; texts.push(r.text); } else texts.push(null);
    });
    const T = m.tok[m.tok.length - 1];
    if (anyText) {
      m.text = new Array(T);
      texts.forEach((t, i) => { for (let k = 0; k < m.tok[i + 1] - m.tok[i]; k++) m.text[m.tok[i] + k] = t ? t[k] : ''; });
    }
    const S = m.sl.length;
    for (const run of runs) {
      const a = new Float32Array(T);
      let span = null;
      // trajectory lines only (a provenance line, "kind": "provenance", carries no advantages)
      const cl = run.credit.split(/\n/).filter(x => x.trim()).map(x => JSON.parse(x)).filter(c => c.advantages);
      cl.forEach((c, i) => {
        a.set(c.advantages, m.tok[i]);
        if (c.span_advantages) { if (!span) span = new Float32Array(S); span.set(c.span_advantages, m.sp[i]); }
      });
      m.est.push({id: run.id, label: run.label, preset: run.preset, params: run.params, a: a, span: span});
    }
    m.g = Int32Array.from(m.g); m.tok = Int32Array.from(m.tok); m.sp = Int32Array.from(m.sp);
    m.sl = Int32Array.from(m.sl); m.sr = Uint8Array.from(m.sr); m.sag = Int32Array.from(m.sag);
    return m;
  }

  function n() { return M.id.length; }

  /** Per estimator and trajectory: max |credit| and mean credit over policy tokens. */
  function computeStats() {
    const N = n();
    stats = M.est.map(e => {
      const maxAbs = new Float32Array(N), mean = new Float32Array(N);
      let gmax = 0;
      for (let i = 0; i < N; i++) {
        let mx = 0, sum = 0, cnt = 0;
        for (let s = M.sp[i], k = M.tok[i]; s < M.sp[i + 1]; s++) {
          const end = k + M.sl[s];
          if (M.sr[s]) {
            for (; k < end; k++) { const v = e.a[k]; const av = Math.abs(v); if (av > mx) mx = av; sum += v; cnt++; }
          } else k = end;
        }
        maxAbs[i] = mx; mean[i] = cnt ? sum / cnt : 0;
        if (mx > gmax) gmax = mx;
      }
      return {maxAbs, mean, gmax};
    });
  }

  function limit() {
    let l = stats[view.a].gmax;
    if (view.compare && view.b >= 0) l = Math.max(l, stats[view.b].gmax);
    return l > 0 ? l : 1;
  }

  function shown() { return view.compare && view.b >= 0 && view.b !== view.a ? [view.a, view.b] : [view.a]; }

  function agentsOf(i) {
    const seen = [];
    for (let s = M.sp[i]; s < M.sp[i + 1]; s++) {
      const a = M.sag[s];
      if (a >= 0 && seen.indexOf(a) < 0) seen.push(a);
    }
    return seen.map(a => M.agents[a]);
  }

  function outText(o) { return o === null || o === undefined ? '–' : V.short(o); }

  // ---------------------------------------------------------------------------------------
  // page
  // ---------------------------------------------------------------------------------------

  function renderAll() {
    computeStats();
    const selA = $('est-a'), selB = $('est-b');
    const opts = M.est.map((e, k) => '<option value="' + k + '">' + V.esc(e.label) + '</option>').join('');
    selA.innerHTML = opts; selB.innerHTML = opts;
    view.a = 0; view.b = M.est.length > 1 ? 1 : 0;
    view.compare = M.est.length > 1 && CONFIG.compare !== false;
    selA.value = '0'; selB.value = String(view.b);
    $('compare').checked = view.compare;
    $('compare').disabled = M.est.length < 2;
    selB.disabled = !view.compare;
    const gsel = $('f-group');
    gsel.innerHTML = '<option value="">all groups</option>' +
      M.groups.map((g, k) => '<option value="' + k + '">' + V.esc(g) + '</option>').join('');
    const outs = Array.from(new Set(M.out.filter(o => o !== null))).sort((x, y) => x - y);
    const osel = $('f-outcome');
    let oh = '<option value="">any outcome</option><option value="pos">&gt; 0</option><option value="nonpos">≤ 0</option>';
    if (outs.length <= 12) oh += outs.map(o => '<option value="=' + o + '">= ' + V.esc(V.short(o)) + '</option>').join('');
    if (M.out.some(o => o === null)) oh += '<option value="none">no outcome</option>';
    osel.innerHTML = oh;
    renderProvenance();
    renderFindings();
    renderCards();
    refresh();
    document.body.dataset.ready = '1';
    window.ApViewer.readyAt = performance.now();
  }

  function renderProvenance() {
    const p = M.prov || {};
    const rows = [];
    const kv = (k, v) => rows.push('<dt>' + V.esc(k) + '</dt><dd>' + v + '</dd>');
    if (p.source) kv('input', '<code>' + V.esc(p.source) + '</code>');
    kv('apportion', V.esc(p.apportion || CONFIG.version || 'unknown'));
    kv('trajectories', n() + ' in ' + M.groups.length + ' groups, ' + M.tok[n()] + ' tokens' +
      (p.limited ? ' (first ' + n() + ' of ' + p.limited + ')' : ''));
    M.est.forEach(e => {
      const ps = Object.keys(e.params || {}).map(k => k + '=' + JSON.stringify(e.params[k])).join(' ');
      kv('estimator ' + e.id, (e.preset ? 'preset <code>' + V.esc(e.preset) + '</code> ' : '') + (ps ? '<code>' + V.esc(ps) + '</code>' : 'default parameters'));
    });
    if (M.outLabel) kv('outcome', V.esc(M.outLabel));
    kv('chart library', 'Chart.js ' + V.esc(CONFIG.chartjs || '') + ' (inlined)');
    $('provenance').innerHTML = '<dl class="ap-kv">' + rows.join('') + '</dl>';
  }

  function renderFindings() {
    const el = $('findings');
    if (!M.findings.length) {
      el.innerHTML = CONFIG.doctor ? '<p class="ap-muted">apportion doctor found nothing to report.</p>' : '';
      return;
    }
    const batch = M.findings.filter(f => f.t < 0);
    const pinned = M.findings.length - batch.length;
    el.innerHTML = '<p>' + M.findings.length + ' doctor finding' + (M.findings.length === 1 ? '' : 's') +
      (pinned ? ' (' + pinned + ' pinned on their trajectories below)' : '') + '</p>' +
      (batch.length ? '<ul>' + batch.map(f => '<li><span class="ap-badge ' + V.esc(f.severity) + '">' + V.esc(f.code) +
        '</span> ' + V.esc(f.message) + '</li>').join('') + '</ul>' : '');
  }

  function findingsOf(i) {
    if (!M.byTraj) {
      M.byTraj = new Map();
      M.findings.forEach(f => { if (f.t >= 0) { if (!M.byTraj.has(f.t)) M.byTraj.set(f.t, []); M.byTraj.get(f.t).push(f); } });
    }
    return M.byTraj.get(i) || [];
  }

  /** Height of a card's token rows and chart before they exist (w: the list's width, read once per pass). */
  function estimateHeight(i, listWidth) {
    const w = Math.max(300, listWidth - 24);
    const T = M.tok[i + 1] - M.tok[i];
    const per = M.text ? 46 : 34;
    const lines = Math.max(1, Math.ceil(T * per / w));
    return shown().length * (lines * 24 + 8) + (hasChart ? 150 : 0) + 8;
  }

  function renderCards() {
    const parts = [];
    for (let i = 0; i < n(); i++) {
      const ag = agentsOf(i);
      const fs = findingsOf(i);
      const T = M.tok[i + 1] - M.tok[i];
      let pol = 0, turns = 0;
      for (let s = M.sp[i]; s < M.sp[i + 1]; s++) if (M.sr[s]) { pol += M.sl[s]; turns++; }
      parts.push('<article class="tcard" id="t-' + i + '" data-t="' + i + '" aria-label="trajectory ' + V.esc(M.id[i]) + '">' +
        '<header class="thead"><span class="tid">' + V.esc(M.id[i]) + '</span>' +
        '<span class="ap-badge" title="group">group ' + V.esc(M.groups[M.g[i]]) + '</span>' +
        '<span class="ap-badge" title="outcome">outcome ' + V.esc(outText(M.out[i])) + '</span>' +
        (ag.length ? '<span class="ap-badge" title="agent">agent ' + V.esc(ag.join(', ')) + '</span>' : '') +
        '<span class="ap-muted">' + T + ' tokens, ' + pol + ' policy in ' + turns + ' turn' + (turns === 1 ? '' : 's') + '</span>' +
        '<span class="tstat ap-mono"></span>' +
        fs.map(f => '<span class="ap-badge finding ' + V.esc(f.severity) + '" title="' + V.esc(f.message) + '">' +
          V.esc(f.severity) + ': ' + V.esc(f.code) + '</span>').join('') +
        (fs.length ? '<div class="tfind">' + fs.map(f => V.esc(f.code + ': ' + f.message)).join('<br>') + '</div>' : '') +
        '</header><div class="tbody"></div></article>');
    }
    $('list').innerHTML = parts.join('');
    if (observer) observer.disconnect();
    live.clear();
    observer = new IntersectionObserver(entries => {
      for (const en of entries) {
        const i = +en.target.dataset.t;
        if (en.isIntersecting) materialise(en.target, i); else dematerialise(en.target, i);
      }
    }, {rootMargin: '600px 0px'});
    const cards = $('list').children;
    const w = $('list').clientWidth;
    for (let i = 0; i < cards.length; i++) {
      cards[i].querySelector('.tbody').style.height = estimateHeight(i, w) + 'px';
      observer.observe(cards[i]);
    }
  }

  function tokenLabel(k, i) {
    if (M.text) {
      const t = M.text[k];
      return t === '' ? '∅' : t.replace(/\n/g, '⏎').replace(/\t/g, '⇥');
    }
    return String(k - M.tok[i]);
  }

  function rowHtml(i, e) {
    const est = M.est[e], L = limit();
    const h = ['<div class="toks' + (M.text ? '' : ' pos') + '" role="group" data-e="' + e + '" aria-label="tokens of ' +
      V.esc(M.id[i]) + ' coloured by ' + V.esc(est.label) + '"><span class="rowlab ap-mono">' + V.esc(est.label) + '</span>'];
    let k = M.tok[i], turn = 0, first = true;
    for (let s = M.sp[i]; s < M.sp[i + 1]; s++) {
      const pol = M.sr[s] === 1;
      if (pol) turn++;
      const end = k + M.sl[s];
      const ag = M.sag[s] >= 0 ? ' · ' + M.agents[M.sag[s]] : '';
      h.push('<span class="sp ' + (pol ? 'pol' : 'ctx') + '"><span class="spl" aria-hidden="true">' +
        (pol ? 'turn ' + turn : 'context') + V.esc(ag) + '</span>');
      for (; k < end; k++) {
        const tab = first ? '0' : '-1';
        first = false;
        if (pol) {
          const v = est.a[k];
          h.push('<span class="tk" tabindex="' + tab + '" data-k="' + k + '" style="background:' + V.colour(v, L) +
            ';color:' + V.ink(v, L) + '">' + V.esc(tokenLabel(k, i)) + '</span>');
        } else {
          h.push('<span class="tk c" tabindex="' + tab + '" data-k="' + k + '">' + V.esc(tokenLabel(k, i)) + '</span>');
        }
      }
      h.push('</span>');
    }
    h.push('</div>');
    return h.join('');
  }

  function materialise(card, i) {
    if (live.has(i)) return;
    const body = card.querySelector('.tbody');
    const ests = shown();
    body.innerHTML = ests.map(e => rowHtml(i, e)).join('') +
      (hasChart ? '<div class="ap-chart"><canvas aria-label="credit per turn" role="img"></canvas></div>' : '');
    body.style.height = '';
    const entry = {chart: null};
    live.set(i, entry);
    if (hasChart) entry.chart = turnChart(body.querySelector('canvas'), i, ests);
  }

  function dematerialise(card, i) {
    if (!live.has(i)) return;
    const body = card.querySelector('.tbody');
    const h = body.getBoundingClientRect().height;
    const entry = live.get(i);
    if (entry.chart) entry.chart.destroy();
    live.delete(i);
    body.innerHTML = '';
    body.style.height = h + 'px';
  }

  /** Credit per policy span: the estimator's span advantage when it gives one, else the mean token credit. */
  function turnValues(i, e) {
    const est = M.est[e], vals = [];
    let k = M.tok[i];
    for (let s = M.sp[i]; s < M.sp[i + 1]; s++) {
      const end = k + M.sl[s];
      if (M.sr[s]) {
        if (est.span) vals.push(est.span[s]);
        else {
          let sum = 0;
          for (let j = k; j < end; j++) sum += est.a[j];
          vals.push(end > k ? sum / (end - k) : 0);
        }
      }
      k = end;
    }
    return vals;
  }

  function turnChart(canvas, i, ests) {
    const L = limit();
    const labels = [];
    let t = 0;
    for (let s = M.sp[i]; s < M.sp[i + 1]; s++) if (M.sr[s]) labels.push('turn ' + (++t));
    const datasets = ests.map((e, j) => {
      const vals = turnValues(i, e);
      return {
        label: M.est[e].label + (M.est[e].span ? ' (span advantage)' : ' (mean token credit)'), data: vals,
        backgroundColor: ests.length === 1 ? vals.map(v => V.colour(v, L)) : V.SERIES[j],
        borderColor: '#333f48', borderWidth: 1
      };
    });
    return new window.Chart(canvas, {
      type: 'bar', data: {labels, datasets},
      options: {plugins: {legend: {display: true, position: 'right', labels: {boxWidth: 12}},
        tooltip: {callbacks: {label: c => c.dataset.label + ': ' + V.fmt32(c.raw)}}},
        scales: {y: {title: {display: true, text: 'credit'}}}}
    });
  }

  // ---------------------------------------------------------------------------------------
  // filters, summary, legend
  // ---------------------------------------------------------------------------------------

  function passes(i) {
    const g = $('f-group').value, o = $('f-outcome').value, q = $('f-id').value.trim().toLowerCase();
    const minAbs = parseFloat($('f-abs').value);
    if (g !== '' && M.g[i] !== +g) return false;
    const out = M.out[i];
    if (o === 'pos' && !(out > 0)) return false;
    if (o === 'nonpos' && !(out !== null && out <= 0)) return false;
    if (o === 'none' && out !== null) return false;
    if (o.startsWith('=') && out !== +o.slice(1)) return false;
    if (isFinite(minAbs) && !(stats[view.a].maxAbs[i] >= minAbs)) return false;
    if (q && M.id[i].toLowerCase().indexOf(q) < 0 && M.groups[M.g[i]].toLowerCase().indexOf(q) < 0) return false;
    return true;
  }

  function refresh() {
    // re-render live cards with the current estimators and scale
    for (const [i, entry] of Array.from(live.entries())) {
      if (entry.chart) entry.chart.destroy();
      live.delete(i);
      materialise($('t-' + i), i);
    }
    const cards = $('list').children;
    let visible = 0;
    const st = shown();
    const w = $('list').clientWidth;
    for (let i = 0; i < cards.length; i++) {
      const ok = passes(i);
      cards[i].hidden = !ok;
      if (ok) visible++;
      cards[i].querySelector('.tstat').textContent = st.map(e => M.est[e].id + ' max|c| ' + V.short(stats[e].maxAbs[i])).join(' · ');
      if (!live.has(i)) cards[i].querySelector('.tbody').style.height = estimateHeight(i, w) + 'px';
    }
    $('count').textContent = visible + ' of ' + n() + ' trajectories shown';
    V.legend($('legend'), limit(), 'credit (' + st.map(e => M.est[e].label).join(' vs ') + ')');
    renderSummary();
  }

  function renderSummary() {
    const st = shown();
    const G = M.groups.length;
    const cnt = new Int32Array(G), outSum = new Float64Array(G), outN = new Int32Array(G);
    const mean = st.map(() => new Float64Array(G)), mx = st.map(() => new Float64Array(G));
    for (let i = 0; i < n(); i++) {
      const g = M.g[i];
      cnt[g]++;
      if (M.out[i] !== null) { outSum[g] += M.out[i]; outN[g]++; }
      st.forEach((e, j) => { mean[j][g] += stats[e].mean[i]; mx[j][g] = Math.max(mx[j][g], stats[e].maxAbs[i]); });
    }
    let h = '<table class="ap-table"><thead><tr><th>group</th><th class="num">trajectories</th><th class="num">mean outcome</th>' +
      st.map(e => '<th class="num">' + V.esc(M.est[e].label) + ' mean credit</th><th class="num">max |credit|</th>').join('') +
      '</tr></thead><tbody>';
    const maxRows = 200;
    for (let g = 0; g < Math.min(G, maxRows); g++) {
      h += '<tr><td><button type="button" class="linkish" data-g="' + g + '">' + V.esc(M.groups[g]) + '</button></td><td class="num">' +
        cnt[g] + '</td><td class="num">' + (outN[g] ? V.short(outSum[g] / outN[g]) : '–') + '</td>' +
        st.map((e, j) => '<td class="num">' + V.short(mean[j][g] / cnt[g]) + '</td><td class="num">' + V.short(mx[j][g]) + '</td>').join('') +
        '</tr>';
    }
    h += '</tbody></table>' + (G > maxRows ? '<p class="ap-muted">first ' + maxRows + ' of ' + G + ' groups</p>' : '');
    $('summary').innerHTML = h;
  }

  // ---------------------------------------------------------------------------------------
  // values on hover and keyboard focus
  // ---------------------------------------------------------------------------------------

  function trajOfToken(k) {
    let lo = 0, hi = n() - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (M.tok[mid] <= k) lo = mid; else hi = mid - 1; }
    return lo;
  }

  function show(el) {
    const k = +el.dataset.k, i = trajOfToken(k);
    const st = shown();
    const where = M.id[i] + ' (group ' + M.groups[M.g[i]] + ') · token ' + (k - M.tok[i]) +
      (M.text ? ' ' + JSON.stringify(M.text[k]) : '') + (el.classList.contains('c') ? ' · context' : '');
    $('ro-where').textContent = where;
    const vals = st.map(e => ({label: M.est[e].label, v: V.fmt32(M.est[e].a[k])}));
    $('ro-vals').innerHTML = vals.map((x, j) => '<span class="ro-val" data-e="' + st[j] + '">' + V.esc(x.label) +
      ': <b class="ap-mono">' + V.esc(x.v) + '</b></span>').join(' ');
    el.title = vals.map(x => x.label + ': ' + x.v).join('\n');
    el.setAttribute('aria-label', (M.text ? M.text[k] + ', ' : 'token ' + (k - M.tok[i]) + ', ') + vals.map(x => x.label + ' ' + x.v).join(', '));
  }

  function bindEvents() {
    const list = $('list');
    list.addEventListener('mouseover', ev => { const t = ev.target.closest('.tk'); if (t) show(t); });
    list.addEventListener('focusin', ev => { const t = ev.target.closest('.tk'); if (t) show(t); });
    list.addEventListener('click', ev => { const t = ev.target.closest('.tk'); if (t) t.focus(); });
    list.addEventListener('keydown', ev => {
      const t = ev.target.closest('.tk');
      if (!t) return;
      const row = t.closest('.toks');
      const toks = row.querySelectorAll('.tk');
      const pos = Array.prototype.indexOf.call(toks, t);
      let next = -1;
      if (ev.key === 'ArrowRight') next = pos + 1;
      else if (ev.key === 'ArrowLeft') next = pos - 1;
      else if (ev.key === 'Home') next = 0;
      else if (ev.key === 'End') next = toks.length - 1;
      if (next < 0 || next >= toks.length) return;
      ev.preventDefault();
      t.tabIndex = -1; toks[next].tabIndex = 0; toks[next].focus();
    });
    $('est-a').addEventListener('change', () => { view.a = +$('est-a').value; refresh(); });
    $('est-b').addEventListener('change', () => { view.b = +$('est-b').value; refresh(); });
    $('compare').addEventListener('change', () => { view.compare = $('compare').checked; $('est-b').disabled = !view.compare; refresh(); });
    ['f-group', 'f-outcome', 'f-abs', 'f-id'].forEach(id => {
      $(id).addEventListener('input', refresh);
      if ($(id).tagName === 'SELECT') $(id).addEventListener('change', refresh);
    });
    $('summary').addEventListener('click', ev => {
      const b = ev.target.closest('button[data-g]');
      if (b) { $('f-group').value = b.dataset.g; refresh(); }
    });
  }

  // ---------------------------------------------------------------------------------------
  // served mode: choose a file and estimators, compute through POST /v1/credit
  // ---------------------------------------------------------------------------------------

  function status(msg, bad) {
    const el = $('srv-status');
    el.textContent = msg;
    el.className = bad ? 'ap-badge error' : 'ap-muted';
  }

  function parseParams(text) {
    const out = {};
    text.split(/[\s,]+/).filter(x => x).forEach(kv => {
      const j = kv.indexOf('=');
      if (j <= 0) throw new Error('parameter "' + kv + '" is not KEY=VALUE');
      out[kv.slice(0, j)] = kv.slice(j + 1);
    });
    return out;
  }

  async function servedSetup() {
    const form = $('srv-form');
    form.hidden = false;
    const reg = await (await fetch('v1/estimators')).json();
    const opts = reg.map(e => '<option value="' + V.esc(e.id) + '">' + V.esc(e.id) + '</option>').join('');
    $('srv-est-a').innerHTML = opts;
    $('srv-est-b').innerHTML = '<option value="">(none)</option>' + opts;
    $('srv-est-a').value = reg.some(e => e.id === 'grpo') ? 'grpo' : reg[0].id;
    const files = CONFIG.files || [];
    $('srv-file').innerHTML = '<option value="">(upload below)</option>' +
      files.map(f => '<option value="' + V.esc(f) + '">' + V.esc(f) + '</option>').join('');
    if (files.length) $('srv-file').value = files[0];
    form.addEventListener('submit', ev => { ev.preventDefault(); compute().catch(e => status(String(e.message || e), true)); });
  }

  async function compute() {
    let text, source;
    const upload = $('srv-upload').files[0];
    if (upload) { text = await upload.text(); source = upload.name + ' (uploaded)'; }
    else if ($('srv-file').value) {
      source = $('srv-file').value;
      const r = await fetch('view/files/' + encodeURIComponent(source));
      if (!r.ok) throw new Error((await r.json()).error);
      text = await r.text();
    } else throw new Error('choose a rollout file or upload one');
    const picks = [['srv-est-a', 'srv-preset-a', 'srv-param-a'], ['srv-est-b', 'srv-preset-b', 'srv-param-b']]
      .map(([e, p, q]) => ({id: $(e).value, preset: $(p).value.trim(), params: parseParams($(q).value)}))
      .filter(x => x.id);
    status('computing ' + picks.map(x => x.id).join(', ') + ' …');
    const runs = [];
    for (const x of picks) {
      const qs = new URLSearchParams({estimator: x.id});
      if (x.preset) qs.set('preset', x.preset);
      Object.keys(x.params).forEach(k => qs.set('param.' + k, x.params[k]));
      const r = await fetch('v1/credit?' + qs.toString(), {method: 'POST', headers: {'Content-Type': 'application/x-ndjson'}, body: text});
      const body = await r.text();
      if (!r.ok) {
        let msg = body;
        try { const j = JSON.parse(body); msg = j.error + (j.line ? ' (line ' + j.line + ')' : ''); } catch (e) { /* not JSON */ }
        throw new Error(x.id + ': ' + r.status + ' ' + msg);
      }
      const label = x.id + (x.preset ? ' [' + x.preset + ']' : '') + Object.keys(x.params).map(k => ' ' + k + '=' + x.params[k]).join('');
      runs.push({id: x.id, label, preset: x.preset || null, params: x.params, credit: body});
    }
    M = fromJsonl(text, runs, source);
    $('viewer').hidden = false;
    renderAll();
    status('computed ' + runs.map(r => r.label).join(', ') + ' on ' + n() + ' trajectories via POST /v1/credit');
  }

  // ---------------------------------------------------------------------------------------

  window.ApViewer = {readyAt: null, model: () => M};
  bindEvents();
  if (CONFIG.mode === 'served') {
    servedSetup().catch(e => status(String(e.message || e), true));
  } else {
    performance.mark('ap-parse-start');
    M = fromBlob(JSON.parse($('ap-data').textContent));
    performance.mark('ap-parsed');
    renderAll();
  }
})();
