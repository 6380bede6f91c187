// The built-in dashboard: plain JavaScript over the public API, no build step. Everything shown comes from
// /api/v1/aggregates, /api/v1/analysis/<kind>, /api/v1/charts/<type>.svg; a 404 from an analysis or forecast means
// this build of the service does not have it, and the panel says so.
//
// The address holds the view: ?range=24 (hours) or ?start=<ISO>&stop=<ISO> (a custom range), tz=<IANA zone>, and
// tag.<key>=<value> for the page of one endpoint, test or other series (the drill-down). Reloading or sharing the
// address shows the same view.
const $ = (id) => document.getElementById(id);
const HOUR = 3600000;
const PRESETS = ['6', '24', '168', '720'];
const state = {
  preset: '24',
  start: null,
  stop: null,
  tz: 'UTC',
  refresh: 60,
  filters: {},
  timer: null,
  loading: false,
  again: false,
  widths: new Map(),
};

function token() {
  return localStorage.getItem('resultant.token') || '';
}

async function api(path) {
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  const res = await fetch(path, { headers, cache: 'no-store' });
  if (res.status === 401) $('auth').hidden = false;
  return res;
}

async function errorText(res) {
  try {
    const body = await res.json();
    return body.message || `${res.status} ${res.statusText}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmt2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const fmt3 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
const num = (x, f = fmt2) => (x === null || x === undefined ? '–' : f.format(x));

// ---------- time zones: wall-clock times of the chosen zone, with the browser's own IANA data ----------

function validZone(tz) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function zoneParts(ms, tz) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const o = {};
  for (const p of f.formatToParts(new Date(ms))) o[p.type] = p.value;
  return o;
}

/** The zone's offset from UTC at instant `ms`, in ms. */
function offsetAt(ms, tz) {
  const o = zoneParts(ms, tz);
  return Date.UTC(+o.year, +o.month - 1, +o.day, +o.hour, +o.minute, +o.second) - Math.floor(ms / 1000) * 1000;
}

/** "2026-11-21T09:30" read as a wall-clock time in `tz` -> epoch ms (NaN when malformed). */
function wallToUtc(value, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!m) return NaN;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // Twice: the offset at the guess may differ from the offset at the answer across a DST change.
  const guess = wall - offsetAt(wall, tz);
  return wall - offsetAt(guess, tz);
}

/** epoch ms -> "2026-11-21T09:30", the wall-clock time in `tz` as a datetime-local input shows it. */
function utcToWall(ms, tz) {
  const o = zoneParts(ms, tz);
  return `${o.year}-${o.month}-${o.day}T${o.hour}:${o.minute}`;
}

function timeText(iso) {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, dateStyle: 'medium', timeStyle: 'short' }).format(
      new Date(iso),
    );
  } catch {
    return iso;
  }
}

// ---------- the view in the address ----------

function readUrl() {
  const q = new URLSearchParams(location.search);
  const tz = q.get('tz') || localStorage.getItem('resultant.tz') || 'UTC';
  state.tz = validZone(tz) ? tz : 'UTC';
  const start = Date.parse(q.get('start') || '');
  const stop = Date.parse(q.get('stop') || '');
  if (Number.isFinite(start) && Number.isFinite(stop) && stop > start) {
    state.preset = 'custom';
    state.start = start;
    state.stop = stop;
  } else {
    state.preset = PRESETS.includes(q.get('range')) ? q.get('range') : '24';
    state.start = state.stop = null;
  }
  const refresh = q.get('refresh');
  if (refresh !== null && ['0', '30', '60', '300'].includes(refresh)) state.refresh = Number(refresh);
  state.filters = {};
  for (const [k, v] of q) if (k.startsWith('tag.') && k.length > 4 && v) state.filters[k.slice(4)] = v;
}

/** The address of a view: the current range and zone, with `filters` (tag -> value) for a series' page. */
function urlFor(filters) {
  const q = new URLSearchParams();
  if (state.preset === 'custom') {
    q.set('start', new Date(state.start).toISOString());
    q.set('stop', new Date(state.stop).toISOString());
  } else {
    q.set('range', state.preset);
  }
  q.set('tz', state.tz);
  if (state.refresh !== 60) q.set('refresh', String(state.refresh));
  for (const [k, v] of Object.entries(filters || {}))
    if (v !== null && v !== undefined && v !== '') q.set(`tag.${k}`, v);
  return `?${q.toString()}`;
}

/** The controls show the state (after reading the address, or a change of zone). */
function syncControls() {
  $('range').value = state.preset;
  $('tz').value = state.tz;
  $('refresh').value = String(state.refresh);
  const r = range();
  $('start').value = utcToWall(Date.parse(r.start), state.tz);
  $('stop').value = utcToWall(Date.parse(r.stop), state.tz);
  for (const label of document.querySelectorAll('.controls .custom')) label.hidden = state.preset !== 'custom';
}

/** The controls -> the state; false (and a message) when something in them is not valid. */
function readControls() {
  const tz = $('tz').value.trim() || 'UTC';
  if (!validZone(tz)) {
    setStatus(`unknown time zone "${tz}": choose one from the list`, true);
    return false;
  }
  const preset = $('range').value;
  if (preset === 'custom') {
    const start = wallToUtc($('start').value, tz);
    const stop = wallToUtc($('stop').value, tz);
    if (!Number.isFinite(start) || !Number.isFinite(stop)) {
      setStatus('give both ends of the custom range', true);
      return false;
    }
    if (stop <= start) {
      setStatus('the end of the range must be after its start', true);
      return false;
    }
    state.start = start;
    state.stop = stop;
  } else {
    state.start = state.stop = null;
  }
  state.preset = preset;
  state.tz = tz;
  state.refresh = Number($('refresh').value);
  localStorage.setItem('resultant.tz', tz);
  return true;
}

function range() {
  let start, stop;
  if (state.preset === 'custom') {
    start = state.start;
    stop = state.stop;
  } else {
    stop = Math.ceil(Date.now() / HOUR) * HOUR;
    start = stop - Number(state.preset) * HOUR;
  }
  const span = stop - start;
  // Hourly up to two days, daily up to ~3 years, weekly beyond (a chart draws at most 2,000 buckets).
  const period = span <= 48 * HOUR ? 'hour' : span <= 1000 * 24 * HOUR ? 'day' : 'week';
  return { start: new Date(start).toISOString(), stop: new Date(stop).toISOString(), period };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.append(k, v);
  return q.toString();
}

function tagParams(filters) {
  return Object.fromEntries(Object.entries(filters).map(([k, v]) => [`tag.${k}`, v]));
}

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

function seriesText(tags) {
  return (
    Object.entries(tags || {})
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || 'all'
  );
}

/** A link to a series' page, or plain text when there is nothing to narrow to. */
function seriesLink(tags, text = seriesText(tags)) {
  return tags && Object.keys(tags).length ? el('a', { href: urlFor(tags) }, text) : document.createTextNode(text);
}

// ---------- shared panels ----------

/**
 * A server-drawn SVG chart, fetched with the token at the width of its panel and put inline (hovering a point or
 * bar shows its value: the SVG's <title> elements); 404 = not available in this build.
 */
async function showChart(id, type, params, label) {
  const box = $(id);
  const width = Math.max(320, Math.floor(box.clientWidth || 640));
  const res = await api(`/api/v1/charts/${type}.svg?${query({ ...params, width })}`);
  if (!res.ok) {
    const msg = res.status === 404 ? 'Not available in this build of the service.' : await errorText(res);
    box.replaceChildren(el('p', { class: res.status === 404 ? 'unavailable' : 'empty' }, msg));
    return;
  }
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg') {
    box.replaceChildren(el('p', { class: 'empty' }, 'The chart could not be read.'));
    return;
  }
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  state.widths.set(id, width);
  box.replaceChildren(document.importNode(svg, true));
}

/** Findings compare recent data with what came before: they look back at least a week, whatever range is shown. */
const FINDINGS_HOURS = 7 * 24;

async function findings(kind, filters) {
  const r = range();
  const start = new Date(Math.min(Date.parse(r.start), Date.parse(r.stop) - FINDINGS_HOURS * HOUR)).toISOString();
  const res = await api(
    `/api/v1/analysis/${kind}?${query({ start, stop: r.stop, tz: state.tz, ...tagParams(filters) })}`,
  );
  if (res.status === 404) return { unavailable: `The ${kind} analysis is not available in this build of the service.` };
  if (!res.ok) return { error: await errorText(res) };
  return { body: await res.json() };
}

async function showFindings(id, kind, listKey, describe, sort, filters = {}) {
  const box = $(id);
  const f = await findings(kind, filters);
  if (!f.body) {
    box.replaceChildren(el('p', { class: f.unavailable ? 'unavailable' : 'empty' }, f.unavailable || f.error));
    return;
  }
  const items = (f.body[listKey] || []).slice().sort(sort).slice(0, 10);
  if (!items.length) {
    box.replaceChildren(el('p', { class: 'empty' }, 'Nothing found in this range.'));
    return;
  }
  box.replaceChildren(el('ol', {}, ...items.map((x) => el('li', {}, ...describe(x)))));
}

const anomalyText = (a) => [
  `${timeText(a.time)} · `,
  seriesLink(a.series),
  ` · ${a.metric}: ${fmt2.format(a.value)} (expected ${fmt2.format(a.expected)})`,
];
const byTimeDesc = (key) => (a, b) => Date.parse(b[key]) - Date.parse(a[key]);

// ---------- the fleet ----------

/** Per endpoint-region totals over the range from the aggregates' buckets (counts and sums add exactly). */
function totalsOf(agg) {
  return agg.series.map((s) => {
    let tests = 0,
      ok = 0,
      n = 0,
      sum = 0,
      p95 = null;
    for (const b of s.buckets) {
      tests += b.test_count;
      ok += b.success_count;
      if (b.stats?.count) {
        n += b.stats.count;
        sum += b.stats.mean * b.stats.count;
        if (b.stats.p95 !== null && (p95 === null || b.stats.p95 > p95)) p95 = b.stats.p95;
      }
    }
    return {
      endpoint: s.group.endpoint ?? null,
      region: s.group.region ?? null,
      tests,
      failures: tests - ok,
      n,
      sum,
      availability: tests ? (100 * ok) / tests : null,
      mean: n ? sum / n : null,
      p95,
    };
  });
}

function cardsOf(rows) {
  const tests = rows.reduce((a, r) => a + r.tests, 0);
  const failures = rows.reduce((a, r) => a + r.failures, 0);
  const n = rows.reduce((a, r) => a + r.n, 0);
  const sum = rows.reduce((a, r) => a + r.sum, 0);
  return [
    ['Tests', fmt.format(tests)],
    ['Failures', fmt.format(failures)],
    ['Availability', tests ? `${fmt3.format((100 * (tests - failures)) / tests)} %` : '–'],
    ['Mean latency', n ? `${fmt2.format(sum / n)} ms` : '–'],
  ];
}

function renderCards(id, cards) {
  $(id).replaceChildren(
    ...cards.map(([label, value]) =>
      el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value)),
    ),
  );
}

let groupRows = [];
function renderGroups() {
  const needle = $('find').value.trim().toLowerCase();
  // Results without an endpoint (functional tests, benchmarks) count in the cards, not in this table.
  const rows = groupRows
    .filter((r) => r.endpoint !== null)
    .filter(
      (r) => !needle || r.endpoint.toLowerCase().includes(needle) || (r.region ?? '').toLowerCase().includes(needle),
    )
    .sort((a, b) => (a.availability ?? 101) - (b.availability ?? 101) || a.endpoint.localeCompare(b.endpoint))
    .slice(0, 300);
  const body = $('groups').tBodies[0];
  if (!rows.length) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '7', class: 'empty' }, 'No results in this range.')));
    return;
  }
  body.replaceChildren(
    ...rows.map((r) => {
      const cls =
        r.availability === null ? 'num' : r.availability < 99 ? 'num bad' : r.availability < 99.9 ? 'num warn' : 'num';
      return el(
        'tr',
        {},
        el(
          'td',
          {},
          el('a', { href: urlFor({ endpoint: r.endpoint }), title: `${r.endpoint}: all regions` }, r.endpoint),
        ),
        el(
          'td',
          {},
          r.region === null
            ? '(none)'
            : el(
                'a',
                { href: urlFor({ endpoint: r.endpoint, region: r.region }), title: `${r.endpoint} in ${r.region}` },
                r.region,
              ),
        ),
        el('td', { class: 'num' }, fmt.format(r.tests)),
        el('td', { class: 'num' }, fmt.format(r.failures)),
        el('td', { class: cls }, num(r.availability, fmt3)),
        el('td', { class: 'num' }, num(r.mean)),
        el('td', { class: 'num' }, num(r.p95)),
      );
    }),
  );
}

function fillSeriesPicker(rows) {
  const select = $('forecast-series');
  const current = select.value;
  const endpoints = [...new Set(rows.filter((r) => r.endpoint !== null).map((r) => r.endpoint))].sort();
  select.replaceChildren(
    el('option', { value: '' }, 'all results'),
    ...endpoints.map((e) => el('option', { value: e }, `endpoint ${e}`)),
  );
  if (endpoints.includes(current)) select.value = current;
}

function showForecast() {
  const endpoint = $('forecast-series').value;
  return showChart(
    'chart-forecast',
    'forecast',
    {
      tz: state.tz,
      period: range().period === 'hour' ? 'hour' : 'day',
      statistic: $('forecast-statistic').value,
      ...(endpoint ? { 'tag.endpoint': endpoint } : {}),
    },
    'Forecast',
  );
}

async function refreshFleet() {
  const r = range();
  const common = { start: r.start, stop: r.stop, tz: state.tz, period: r.period };
  const res = await api(`/api/v1/aggregates?${query({ ...common, group_by: 'endpoint,region' })}`);
  if (!res.ok) throw new Error(await errorText(res));
  groupRows = totalsOf(await res.json());
  const below = groupRows.filter((x) => x.endpoint !== null && x.availability !== null && x.availability < 99.9).length;
  renderCards('cards', [
    ...cardsOf(groupRows),
    ['Endpoints', fmt.format(new Set(groupRows.filter((x) => x.endpoint !== null).map((x) => x.endpoint)).size)],
    ['Regions', fmt.format(new Set(groupRows.filter((x) => x.region !== null).map((x) => x.region)).size)],
    ['Pairs below 99.9 %', fmt.format(below)],
  ]);
  renderGroups();
  fillSeriesPicker(groupRows);
  await Promise.all([
    showChart(
      'chart-availability',
      'availability',
      { ...common, group_by: 'endpoint,region' },
      'Availability per endpoint and region',
    ),
    showChart('chart-latency', 'latency', { ...common, group_by: 'endpoint' }, 'Latency per endpoint'),
    showFindings('anomalies', 'anomalies', 'anomalies', anomalyText, byTimeDesc('time')),
    showFindings(
      'regressions',
      'regressions',
      'regressions',
      (x) => [
        seriesLink(x.series),
        ` · ${x.metric} ${x.direction} by ${fmt2.format(x.change_pct)} % (${x.severity}) since ${timeText(x.change_time)}`,
      ],
      byTimeDesc('change_time'),
    ),
    showFindings(
      'failures',
      'failure-patterns',
      'patterns',
      (p) => [
        `${fmt.format(p.count)} × ${p.example || p.pattern || '(no message)'} (${p.category}), last ${timeText(p.last_seen)}`,
        ...(p.series && Object.keys(p.series).length ? [' · ', seriesLink(p.series)] : []),
      ],
      (a, b) => b.count - a.count,
    ),
    showForecast(),
  ]);
}

// ---------- one series (the drill-down) ----------

async function refreshDetail() {
  const f = state.filters;
  const tags = tagParams(f);
  const r = range();
  const common = { start: r.start, stop: r.stop, tz: state.tz, period: r.period };
  const name = Object.entries(f)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  $('detail-title').textContent = name;
  document.title = `Resultant: ${name}`;
  $('back').href = urlFor({});
  $('detail-period').textContent = r.period;
  const res = await api(`/api/v1/aggregates?${query({ ...common, ...tags })}`);
  if (!res.ok) throw new Error(await errorText(res));
  const agg = await res.json();
  const buckets = agg.series.flatMap((s) => s.buckets).sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  const totals = totalsOf(agg);
  const worst = (k) =>
    buckets.reduce((m, b) => (b.stats && b.stats[k] !== null && (m === null || b.stats[k] > m) ? b.stats[k] : m), null);
  renderCards('detail-cards', [
    ...cardsOf(totals),
    ['Worst p95', worst('p95') === null ? '–' : `${fmt2.format(worst('p95'))} ms`],
    ['Worst p99', worst('p99') === null ? '–' : `${fmt2.format(worst('p99'))} ms`],
  ]);
  const body = $('detail-buckets').tBodies[0];
  body.replaceChildren(
    ...(buckets.length
      ? buckets.map((b) => {
          const s = b.stats || {};
          const cls =
            b.availability_pct === null
              ? 'num'
              : b.availability_pct < 99
                ? 'num bad'
                : b.availability_pct < 99.9
                  ? 'num warn'
                  : 'num';
          return el(
            'tr',
            {},
            el('td', {}, `${timeText(b.start)}${b.partial ? ' (still filling)' : ''}`),
            el('td', { class: 'num' }, fmt.format(b.test_count)),
            el('td', { class: 'num' }, fmt.format(b.failure_count)),
            el('td', { class: cls }, num(b.availability_pct, fmt3)),
            el('td', { class: 'num' }, num(s.mean)),
            el('td', { class: 'num' }, num(s.p50)),
            el('td', { class: 'num' }, num(s.p95)),
            el('td', { class: 'num' }, num(s.p99)),
          );
        })
      : [el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'No results in this range.'))]),
  );
  await Promise.all([
    showChart('detail-latency', 'latency', { ...common, ...tags }, `Latency of ${name}`),
    showChart('detail-availability', 'availability', { ...common, ...tags }, `Availability of ${name}`),
    showPatterns(f),
    showFindings('detail-anomalies', 'anomalies', 'anomalies', anomalyText, byTimeDesc('time'), f),
    showChart(
      'detail-forecast',
      'forecast',
      { tz: state.tz, period: r.period === 'hour' ? 'hour' : 'day', statistic: 'mean', ...tags },
      `Forecast of ${name}`,
    ),
  ]);
}

/** The series' failures grouped by fingerprint: count, category, the newest message, first and last seen. */
async function showPatterns(filters) {
  const box = $('detail-failures');
  const f = await findings('failure-patterns', filters);
  if (!f.body) {
    box.replaceChildren(el('p', { class: f.unavailable ? 'unavailable' : 'empty' }, f.unavailable || f.error));
    return;
  }
  const patterns = (f.body.patterns || [])
    .slice()
    .sort((a, b) => b.count - a.count)
    .slice(0, 20);
  if (!patterns.length) {
    box.replaceChildren(el('p', { class: 'empty' }, 'No failures in this range.'));
    return;
  }
  box.replaceChildren(
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...['failures', 'category', 'message (newest)', 'first seen', 'last seen'].map((h) =>
            el('th', { scope: 'col' }, h),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        ...patterns.map((p) =>
          el(
            'tr',
            { 'data-fingerprint': p.fingerprint },
            el('td', { class: 'num' }, fmt.format(p.count)),
            el('td', {}, p.category),
            el('td', { class: 'msg', title: `fingerprint ${p.fingerprint}` }, p.example || p.pattern || '(no message)'),
            el('td', {}, timeText(p.first_seen)),
            el('td', {}, timeText(p.last_seen)),
          ),
        ),
      ),
    ),
  );
}

// ---------- loading ----------

async function refresh() {
  if (state.loading) {
    state.again = true;
    return;
  }
  state.loading = true;
  setStatus('loading…');
  const detail = Object.keys(state.filters).length > 0;
  $('fleet').hidden = detail;
  $('detail').hidden = !detail;
  if (!detail) document.title = 'Resultant: fleet at a glance';
  try {
    await (detail ? refreshDetail() : refreshFleet());
    const now = new Date();
    $('updated').textContent = `updated ${timeText(now.toISOString())} (${state.tz})`;
    setStatus(`updated ${now.toLocaleTimeString()}`);
  } catch (e) {
    setStatus(`could not load: ${e.message}`, true);
  } finally {
    state.loading = false;
  }
  if (state.again) {
    state.again = false;
    await refresh();
  }
}

function schedule() {
  clearTimeout(state.timer);
  // A custom range does not move: nothing new to fetch.
  if (state.refresh > 0 && state.preset !== 'custom') {
    state.timer = setTimeout(async () => {
      if (!document.hidden) await refresh();
      schedule();
    }, state.refresh * 1000);
  }
}

/** Charts are drawn at their panel's width: redraw when the panels change size noticeably. */
function watchWidths() {
  let pending = null;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      for (const [id, w] of state.widths) {
        const box = $(id);
        if (box.offsetParent !== null && Math.abs(box.clientWidth - w) > 40) {
          refresh();
          return;
        }
      }
    }, 400);
  });
}

function init() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  $('zones').replaceChildren(...[...new Set(['UTC', ...zones])].map((z) => el('option', { value: z })));
  readUrl();
  syncControls();
  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!readControls()) return;
    history.replaceState(null, '', urlFor(state.filters));
    syncControls();
    refresh().then(schedule);
  });
  $('range').addEventListener('change', () => {
    const custom = $('range').value === 'custom';
    for (const label of document.querySelectorAll('.controls .custom')) label.hidden = !custom;
    // Choosing "custom" starts from the range shown; the user then edits its ends and presses Update.
    if (!custom) $('controls').requestSubmit();
  });
  $('refresh').addEventListener('change', () => $('controls').requestSubmit());
  $('find').addEventListener('input', renderGroups);
  $('forecast-series').addEventListener('change', showForecast);
  $('forecast-statistic').addEventListener('change', showForecast);
  $('save-token').addEventListener('click', () => {
    localStorage.setItem('resultant.token', $('token').value);
    $('auth').hidden = true;
    refresh();
  });
  watchWidths();
  refresh().then(schedule);
}

init();
