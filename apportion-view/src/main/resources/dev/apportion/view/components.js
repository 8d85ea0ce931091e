// apportion shared page components (window.ApView): the credit colour scale, float32
// formatting, escaping, base64 array decoding and Chart.js defaults. Every page apportion
// writes inlines this file next to the one bundled Chart.js; no page draws a chart by hand.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // The credit scale: diverging blue (negative) - light grey (0) - orange (positive).
  // Blue and orange stay apart under protanopia, deuteranopia and tritanopia (they differ in
  // the blue-yellow channel every common deficiency keeps) and lightness falls monotonically
  // from the centre to both ends, so the magnitude also reads in greyscale. Anchors (sRGB):
  // -1 #1d5fa0, -0.5 #92bce0, 0 #f2f2f2, +0.5 #f5b26b, +1 #b35806; linear between anchors.
  const ANCHORS = [
    [-1, [0x1d, 0x5f, 0xa0]], [-0.5, [0x92, 0xbc, 0xe0]], [0, [0xf2, 0xf2, 0xf2]],
    [0.5, [0xf5, 0xb2, 0x6b]], [1, [0xb3, 0x58, 0x06]]];
  const LUT_N = 201;
  const LUT = new Array(LUT_N);
  const LUT_FG = new Array(LUT_N);
  for (let k = 0; k < LUT_N; k++) {
    const t = -1 + 2 * k / (LUT_N - 1);
    let j = 0;
    while (j < ANCHORS.length - 2 && t > ANCHORS[j + 1][0]) j++;
    const [t0, c0] = ANCHORS[j], [t1, c1] = ANCHORS[j + 1];
    const u = (t - t0) / (t1 - t0);
    const c = c0.map((x, i) => Math.round(x + (c1[i] - x) * u));
    LUT[k] = 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')';
    LUT_FG[k] = Math.abs(t) > 0.62 ? '#fff' : '#111';
  }
  function idx(v, limit) {
    if (!(limit > 0) || !isFinite(v)) return (LUT_N - 1) / 2;
    let t = v / limit;
    if (t > 1) t = 1; else if (t < -1) t = -1;
    return Math.round((t + 1) / 2 * (LUT_N - 1));
  }
  /** Background colour of credit v on a symmetric scale [-limit, +limit]. */
  function colour(v, limit) { return LUT[idx(v, limit)]; }
  /** Readable text colour on top of colour(v, limit). */
  function ink(v, limit) { return LUT_FG[idx(v, limit)]; }
  /** A CSS linear-gradient of the whole scale (for legends). */
  function gradient() {
    const stops = [];
    for (let k = 0; k < LUT_N; k += 20) stops.push(LUT[k] + ' ' + (100 * k / (LUT_N - 1)).toFixed(0) + '%');
    return 'linear-gradient(to right,' + stops.join(',') + ')';
  }

  /**
   * The shortest decimal that reads back to the same float32: the digits 'apportion assign'
   * writes (Java's shortest float form), so a value shown here equals the file's number.
   */
  function fmt32(x) {
    if (!isFinite(x)) return String(x);
    if (x === 0) return '0';
    const f = Math.fround(x);
    for (let p = 1; p <= 9; p++) {
      const s = f.toPrecision(p);
      if (Math.fround(parseFloat(s)) === f) return String(parseFloat(s));
    }
    return String(f);
  }
  /** A short display of a number (4 significant digits). */
  function short(x) {
    if (x === null || x === undefined || !isFinite(x)) return '–';
    if (x === 0) return '0';
    const a = Math.abs(x);
    if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
    return String(parseFloat(x.toPrecision(4)));
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  }
  /** Little-endian float32 array from base64 (the compact arrays of the viewer's data). */
  function f32(b64) {
    if (b64 === null || b64 === undefined) return null;
    const bin = atob(b64);
    const n = bin.length;
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }
  /** Fills el with a legend of the scale: gradient, the limits and a caption. */
  function legend(el, limit, caption) {
    el.innerHTML = '<span>' + esc(caption || 'credit') + '</span><span class="ap-mono">' + esc('−' + short(limit)) +
      '</span><span class="ap-ramp" role="img" aria-label="' + esc('colour scale from blue (' + short(-limit) +
      ') through grey (0) to orange (' + short(limit) + ')') + '" style="background:' + gradient() +
      '"></span><span class="ap-mono">' + esc('+' + short(limit)) + '</span>';
  }
  /** Chart.js defaults shared by every page: no animation (fast, deterministic screenshots). */
  function chartDefaults() {
    if (typeof window.Chart === 'undefined') return false;
    const C = window.Chart;
    C.defaults.animation = false;
    C.defaults.responsive = true;
    C.defaults.maintainAspectRatio = false;
    C.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    C.defaults.color = '#1d2327';
    return true;
  }
  /** Estimator / series colours (Okabe-Ito, colour-vision safe), distinct from the credit scale. */
  const SERIES = ['#333f48', '#cc79a7', '#009e73', '#56b4e9', '#e69f00', '#0072b2', '#d55e00', '#f0e442'];

  /**
   * Draws every declared chart of a static page: an element
   * <div class="ap-chart" data-ap-chart='{"type":"bar","labels":[...],"series":[{"label":..,"data":[..]}],"y":"axis title"}'>
   * gets a canvas and a Chart.js chart (series coloured from SERIES). Pages written in Java
   * declare their charts this way instead of carrying their own drawing code.
   */
  function autoCharts() {
    if (!chartDefaults()) return;
    document.querySelectorAll('[data-ap-chart]').forEach(el => {
      const spec = JSON.parse(el.getAttribute('data-ap-chart'));
      const canvas = document.createElement('canvas');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', spec.title || 'chart');
      el.appendChild(canvas);
      new window.Chart(canvas, {
        type: spec.type || 'bar',
        data: {labels: spec.labels, datasets: spec.series.map((s, j) => ({label: s.label, data: s.data,
          backgroundColor: SERIES[j % SERIES.length], borderColor: SERIES[j % SERIES.length]}))},
        options: {indexAxis: spec.horizontal ? 'y' : 'x', plugins: {legend: {display: spec.series.length > 1},
          title: {display: !!spec.title, text: spec.title}},
          scales: spec.y ? {[spec.horizontal ? 'x' : 'y']: {title: {display: true, text: spec.y}}} : {}}
      });
    });
  }
  /**
   * Draws every interval glyph of a static page with Chart.js: an element
   * <div data-ap-interval='{"mean":m,"lo":l,"hi":h,"scale":s,"positive":true,"colour":"#0072b2"}'>
   * gets a small horizontal chart: the 95% interval as a thin bar, the mean as a short thick one,
   * a dashed zero line, and the expected side of 0 shaded.
   */
  function intervals() {
    if (!chartDefaults()) return;
    document.querySelectorAll('[data-ap-interval]').forEach(el => {
      const d = JSON.parse(el.getAttribute('data-ap-interval'));
      const s = d.scale > 0 ? d.scale * 1.08 : 1;
      const canvas = document.createElement('canvas');
      el.appendChild(canvas);
      const ds = [{data: [d.positive ? [0, s] : [-s, 0]], backgroundColor: '#e8eef5', barPercentage: 1, categoryPercentage: 1, order: 3}];
      if (d.lo !== null && d.hi !== null) ds.push({data: [[d.lo, d.hi]], backgroundColor: d.colour, barThickness: 3, order: 2});
      if (d.mean !== null) ds.push({data: [[d.mean - s / 60, d.mean + s / 60]], backgroundColor: d.colour, barThickness: 12, order: 1});
      new window.Chart(canvas, {type: 'bar', data: {labels: [''], datasets: ds.map(x => Object.assign({grouped: false}, x))},
        options: {indexAxis: 'y', responsive: false, events: [], plugins: {legend: {display: false}, tooltip: {enabled: false}},
          scales: {x: {min: -s, max: s, display: true, ticks: {display: false}, border: {display: false},
            grid: {drawTicks: false, color: c => c.tick.value === 0 ? '#777' : 'transparent'}}, y: {display: false}}}});
    });
  }
  function drawDeclared() { autoCharts(); intervals(); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawDeclared);
  else drawDeclared();

  window.ApView = {colour, ink, gradient, fmt32, short, esc, f32, legend, chartDefaults, autoCharts, intervals, SERIES};
})();
