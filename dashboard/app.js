// The built-in dashboard: plain JavaScript over the public API, no build step. Everything shown comes from
// /api/v1/aggregates, /api/v1/analysis/<kind>, /api/v1/charts/<type>.svg; a 404 from an analysis or forecast means
// this build of the service does not have it, and the panel says so.
const $ = (id) => document.getElementById(id);
const HOUR = 3600000;
const state = { hours: 24, tz: 'UTC', refresh: 60, timer: null, loading: false, charts: new Map() };

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

function range() {
  const stop = Math.ceil(Date.now() / HOUR) * HOUR;
  const start = stop - state.hours * HOUR;
  return { start: new Date(start).toISOString(), stop: new Date(stop).toISOString(), period: state.hours <= 48 ? 'hour' : 'day' };
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.append(k, v);
  return q.toString();
}

function setStatus(text, error = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

/** Per endpoint-region totals over the range from the aggregates' buckets (counts and sums add exactly). */
function totalsOf(agg) {
  return agg.series.map((s) => {
    let tests = 0, ok = 0, n = 0, sum = 0, p95 = null;
    for (const b of s.buckets) {
      tests += b.test_count;
      ok += b.success_count;
      if (b.stats && b.stats.count) {
        n += b.stats.count;
        sum += b.stats.mean * b.stats.count;
        if (b.stats.p95 !== null && (p95 === null || b.stats.p95 > p95)) p95 = b.stats.p95;
      }
    }
    return {
      endpoint: s.group.endpoint ?? null,
      region: s.group.region ?? '(none)',
      tests, failures: tests - ok, n, sum,
      availability: tests ? (100 * ok) / tests : null,
      mean: n ? sum / n : null,
      p95,
    };
  });
}

function renderCards(rows) {
  const tests = rows.reduce((a, r) => a + r.tests, 0);
  const failures = rows.reduce((a, r) => a + r.failures, 0);
  const n = rows.reduce((a, r) => a + r.n, 0);
  const sum = rows.reduce((a, r) => a + r.sum, 0);
  const below = rows.filter((r) => r.endpoint !== null && r.availability !== null && r.availability < 99.9).length;
  const cards = [
    ['Tests', fmt.format(tests)],
    ['Failures', fmt.format(failures)],
    ['Availability', tests ? `${fmt3.format((100 * (tests - failures)) / tests)} %` : '–'],
    ['Mean latency', n ? `${fmt2.format(sum / n)} ms` : '–'],
    ['Endpoints', fmt.format(new Set(rows.filter((r) => r.endpoint !== null).map((r) => r.endpoint)).size)],
    ['Regions', fmt.format(new Set(rows.filter((r) => r.region !== '(none)').map((r) => r.region)).size)],
    ['Pairs below 99.9 %', fmt.format(below)],
  ];
  $('cards').replaceChildren(...cards.map(([label, value]) => el('div', { class: 'card' }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value))));
}

let groupRows = [];
function renderGroups() {
  const needle = $('find').value.trim().toLowerCase();
  // Results without an endpoint (functional tests, benchmarks) count in the cards, not in this table.
  const rows = groupRows
    .filter((r) => r.endpoint !== null)
    .filter((r) => !needle || r.endpoint.toLowerCase().includes(needle) || r.region.toLowerCase().includes(needle))
    .sort((a, b) => (a.availability ?? 101) - (b.availability ?? 101) || a.endpoint.localeCompare(b.endpoint))
    .slice(0, 300);
  const body = $('groups').tBodies[0];
  if (!rows.length) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: '7', class: 'empty' }, 'No results in this range.')));
    return;
  }
  body.replaceChildren(
    ...rows.map((r) => {
      const cls = r.availability === null ? 'num' : r.availability < 99 ? 'num bad' : r.availability < 99.9 ? 'num warn' : 'num';
      return el(
        'tr', {},
        el('td', {}, r.endpoint), el('td', {}, r.region),
        el('td', { class: 'num' }, fmt.format(r.tests)), el('td', { class: 'num' }, fmt.format(r.failures)),
        el('td', { class: cls }, r.availability === null ? '–' : fmt3.format(r.availability)),
        el('td', { class: 'num' }, r.mean === null ? '–' : fmt2.format(r.mean)),
        el('td', { class: 'num' }, r.p95 === null ? '–' : fmt2.format(r.p95)),
      );
    }),
  );
}

function fillSeriesPicker(rows) {
  const select = $('forecast-series');
  const current = select.value;
  const endpoints = [...new Set(rows.filter((r) => r.endpoint !== null).map((r) => r.endpoint))].sort();
  select.replaceChildren(el('option', { value: '' }, 'all results'), ...endpoints.map((e) => el('option', { value: e }, `endpoint ${e}`)));
  if (endpoints.includes(current)) select.value = current;
}

/** A server-drawn SVG chart, fetched with the token and shown as an image; 404 = not available in this build. */
async function showChart(id, type, params, alt) {
  const box = $(id);
  const res = await api(`/api/v1/charts/${type}.svg?${query(params)}`);
  if (!res.ok) {
    const msg = res.status === 404 ? 'Not available in this build of the service.' : await errorText(res);
    box.replaceChildren(el('p', { class: res.status === 404 ? 'unavailable' : 'empty' }, msg));
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const img = el('img', { alt, src: url });
  const old = state.charts.get(id);
  if (old) URL.revokeObjectURL(old);
  state.charts.set(id, url);
  box.replaceChildren(img);
}

function seriesText(tags) {
  return Object.entries(tags || {}).map(([k, v]) => `${k}=${v}`).join(', ') || 'all';
}

function timeText(iso) {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: state.tz, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  } catch {
    return iso;
  }
}

/** Findings compare recent data with what came before: they look back at least a week, whatever range is shown. */
const FINDINGS_HOURS = 7 * 24;

async function showFindings(id, kind, listKey, describe, sort) {
  const box = $(id);
  const r = range();
  const start = new Date(Math.min(Date.parse(r.start), Date.parse(r.stop) - FINDINGS_HOURS * HOUR)).toISOString();
  const res = await api(`/api/v1/analysis/${kind}?${query({ start, stop: r.stop })}`);
  if (res.status === 404) {
    box.replaceChildren(el('p', { class: 'unavailable' }, `The ${kind} analysis is not available in this build of the service.`));
    return;
  }
  if (!res.ok) {
    box.replaceChildren(el('p', { class: 'empty' }, await errorText(res)));
    return;
  }
  const body = await res.json();
  const items = (body[listKey] || []).slice().sort(sort).slice(0, 10);
  if (!items.length) {
    box.replaceChildren(el('p', { class: 'empty' }, 'Nothing found in this range.'));
    return;
  }
  box.replaceChildren(el('ol', {}, ...items.map((x) => el('li', {}, describe(x)))));
}

async function refresh() {
  if (state.loading) return;
  state.loading = true;
  setStatus('loading…');
  try {
    const r = range();
    const common = { start: r.start, stop: r.stop, tz: state.tz, period: r.period };
    const res = await api(`/api/v1/aggregates?${query({ ...common, group_by: 'endpoint,region' })}`);
    if (!res.ok) throw new Error(await errorText(res));
    groupRows = totalsOf(await res.json());
    renderCards(groupRows);
    renderGroups();
    fillSeriesPicker(groupRows);
    await Promise.all([
      showChart('chart-availability', 'availability', { ...common, group_by: 'endpoint,region' }, 'Availability per endpoint and region'),
      showChart('chart-latency', 'latency', { ...common, group_by: 'endpoint' }, 'Latency per endpoint'),
      showFindings('anomalies', 'anomalies', 'anomalies',
        (a) => `${timeText(a.time)} · ${seriesText(a.series)} · ${a.metric}: ${fmt2.format(a.value)} (expected ${fmt2.format(a.expected)})`,
        (a, b) => Date.parse(b.time) - Date.parse(a.time)),
      showFindings('regressions', 'regressions', 'regressions',
        (x) => `${seriesText(x.series)} · ${x.metric} ${x.direction} by ${fmt2.format(x.change_pct)} % (${x.severity}) since ${timeText(x.change_time)}`,
        (a, b) => Date.parse(b.change_time) - Date.parse(a.change_time)),
      showFindings('failures', 'failure-patterns', 'patterns',
        (p) => `${fmt.format(p.count)} × ${p.example} (${p.category}), last ${timeText(p.last_seen)}`,
        (a, b) => b.count - a.count),
      showForecast(),
    ]);
    const now = new Date();
    $('updated').textContent = `updated ${timeText(now.toISOString())} (${state.tz})`;
    setStatus(`updated ${now.toLocaleTimeString()}`);
  } catch (e) {
    setStatus(`could not load: ${e.message}`, true);
  } finally {
    state.loading = false;
  }
}

function showForecast() {
  const endpoint = $('forecast-series').value;
  return showChart('chart-forecast', 'forecast', {
    tz: state.tz,
    period: range().period,
    statistic: $('forecast-statistic').value,
    ...(endpoint ? { 'tag.endpoint': endpoint } : {}),
  }, 'Forecast');
}

function schedule() {
  clearTimeout(state.timer);
  if (state.refresh > 0) {
    state.timer = setTimeout(async () => {
      if (!document.hidden) await refresh();
      schedule();
    }, state.refresh * 1000);
  }
}

function readControls() {
  state.hours = Number($('range').value);
  state.refresh = Number($('refresh').value);
  const tz = $('tz').value.trim() || 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    state.tz = tz;
    localStorage.setItem('resultant.tz', tz);
  } catch {
    setStatus(`unknown time zone "${tz}"`, true);
  }
}

function init() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  $('zones').replaceChildren(...['UTC', ...zones].map((z) => el('option', { value: z })));
  $('tz').value = localStorage.getItem('resultant.tz') || 'UTC';
  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    readControls();
    refresh().then(schedule);
  });
  for (const id of ['range', 'refresh']) $(id).addEventListener('change', () => $('controls').requestSubmit());
  $('find').addEventListener('input', renderGroups);
  $('forecast-series').addEventListener('change', showForecast);
  $('forecast-statistic').addEventListener('change', showForecast);
  $('save-token').addEventListener('click', () => {
    localStorage.setItem('resultant.token', $('token').value);
    $('auth').hidden = true;
    refresh();
  });
  readControls();
  refresh().then(schedule);
}

init();
