// Measurement mappings: Telegraf's probes as its outputs write them, turned into test results; unknown measurements
// skipped or refused; mapping settings checked with messages that name the bad key.
import { describe, expect, it } from 'vitest';
import { compileMappings, type MappingSpecs, parseMappings, TELEGRAF_MAPPINGS } from './mapping.js';
import { decodeLineProtocol, type IngestRules, SeriesCache } from './validate.js';

const skip: IngestRules = { mappings: compileMappings(TELEGRAF_MAPPINGS), unknown: 'skip' };
const refuse: IngestRules = { mappings: compileMappings(TELEGRAF_MAPPINGS), unknown: 'refuse' };
const T = 1_765_000_000_000_000_000n;
const ns = (i: number) => String(T + BigInt(i) * 60_000_000_000n);

function decode(lines: string[], rules: IngestRules = skip, cache?: SeriesCache) {
  const out = decodeLineProtocol(lines.join('\n'), { precision: 'ns', nowUs: 0, rules, ...(cache ? { cache } : {}) });
  if (!out.ok) throw new Error(out.message);
  const rows = out.batch.resultRows().map((r) => ({
    time: r.time,
    tags: r.series.tags,
    measurement: r.series.measurement,
    success: r.success,
    latency: r.latency,
    metrics: r.metrics,
    errorType: r.errorType,
  }));
  return { rows, skipped: out.skipped, skippedNames: out.skippedNames, batch: out.batch };
}

describe('built-in Telegraf mappings', () => {
  it('turns a successful http_response into a result with its latency in ms and the probe tags', () => {
    const { rows } = decode([
      `http_response,host=probe-1,method=GET,region=eu-west,result=success,server=https://api.example.com/health,status_code=200 content_length=87i,http_response_code=200i,response_time=0.0125,result_code=0i,result_type="success" ${ns(0)}`,
    ]);
    expect(rows).toEqual([
      {
        time: Number((T / 1000n).toString()),
        tags: {
          endpoint: 'https://api.example.com/health',
          method: 'GET',
          region: 'eu-west',
          type: 'http',
          worker: 'probe-1',
        },
        measurement: 'test_result',
        success: true,
        latency: 12.5,
        metrics: { content_length: 87, http_response_code: 200 },
        errorType: null,
      },
    ]);
  });

  it('counts an http_response that failed to connect, or answered 400 or more, as a failure of the same series', () => {
    const { rows } = decode([
      `http_response,host=p,method=GET,result=connection_failed,server=http://down.example.com result_code=3i,result_type="connection_failed" ${ns(0)}`,
      `http_response,host=p,method=GET,result=success,server=http://down.example.com,status_code=503 http_response_code=503i,response_time=0.2,result_code=0i ${ns(1)}`,
      `http_response,host=p,method=GET,result=success,server=http://down.example.com,status_code=200 http_response_code=200i,response_time=0.1,result_code=0i ${ns(2)}`,
    ]);
    expect(rows.map((r) => [r.success, r.errorType, r.latency])).toEqual([
      [false, 'connection_failed', null],
      [false, 'http_503', 200],
      [true, null, 100],
    ]);
    // The result and status_code tags are not kept: one series per probe, not per outcome.
    expect(new Set(rows.map((r) => JSON.stringify(r.tags))).size).toBe(1);
  });

  it('maps ping (average_response_ms, already in ms) and net_response (server:port as endpoint)', () => {
    const { rows } = decode([
      `ping,host=p,url=example.org average_response_ms=23.066,maximum_response_ms=24.64,minimum_response_ms=22.451,packets_received=5i,packets_transmitted=5i,percent_packet_loss=0,result_code=0i,standard_deviation_ms=0.809,ttl=63i ${ns(0)}`,
      `ping,host=p,url=example.org packets_received=0i,packets_transmitted=3i,percent_packet_loss=100,result_code=1i ${ns(1)}`,
      `ping,host=p,url=nowhere.invalid result_code=2i ${ns(2)}`,
      `net_response,host=p,port=5432,protocol=tcp,result=success,server=db.example.com response_time=0.000092948,result_code=0i,result_type="success" ${ns(3)}`,
      `net_response,host=p,port=5432,protocol=tcp,result=timeout,server=db.example.com result_code=1i,result_type="timeout",string_found=false ${ns(4)}`,
    ]);
    expect(rows.map((r) => [r.tags.endpoint, r.tags.type, r.success, r.errorType, r.latency])).toEqual([
      ['example.org', 'ping', true, null, 23.066],
      ['example.org', 'ping', false, 'no_reply', null],
      ['nowhere.invalid', 'ping', false, 'ping_error', null],
      ['db.example.com:5432', 'tcp', true, null, 0.000092948 * 1000],
      ['db.example.com:5432', 'tcp', false, 'timeout', null],
    ]);
    expect(rows[0]!.metrics).toEqual({
      percent_packet_loss: 0,
      packets_transmitted: 5,
      packets_received: 5,
      minimum_response_ms: 22.451,
      maximum_response_ms: 24.64,
      ttl: 63,
    });
  });

  it('maps a series once: later lines of it share the series through the cache, with their own fields', () => {
    const cache = new SeriesCache();
    const line = (i: number, code: number) =>
      `net_response,host=p,port=22,protocol=tcp,result=success,server=h response_time=0.00${i + 1},result_code=${code}i ${ns(i)}`;
    const first = decode([line(0, 0), line(1, 0)], skip, cache);
    const second = decode([line(2, 0), line(3, 2)], skip, cache);
    expect(first.batch.toArrays().series[0]).toBe(first.batch.toArrays().series[1]);
    expect(second.batch.toArrays().series[0]).toBe(first.batch.toArrays().series[0]);
    expect(second.rows.map((r) => [r.success, r.latency])).toEqual([
      [true, 3],
      [false, 4],
    ]);
    // The error type comes from the tags of the series the failing line wrote (cached with it).
    expect(second.rows[1]!.errorType).toBe('success');
  });

  it('refuses a mapped line without the field its first condition reads, naming the line', () => {
    const out = decodeLineProtocol(
      [`test_result,endpoint=a success=true ${ns(0)}`, `http_response,server=x response_time=0.1 ${ns(1)}`].join('\n'),
      { precision: 'ns', nowUs: 0, rules: skip },
    );
    expect(out).toEqual({
      ok: false,
      line: 2,
      message: 'line 2: field "result_code" is missing (the mapping of http_response needs it)',
    });
  });

  it('refuses a mapped line whose field has the wrong type', () => {
    const out = decodeLineProtocol(`ping,url=x result_code="0" ${ns(0)}`, { precision: 'ns', nowUs: 0, rules: skip });
    expect(out).toMatchObject({
      ok: false,
      line: 1,
      message: 'line 1: field "result_code" must be a number (mapping of ping)',
    });
  });
});

describe('unknown measurements', () => {
  const lines = [
    `cpu,cpu=cpu-total,host=p usage_idle=99.5,usage_user=0.3 ${ns(0)}`,
    `test_result,endpoint=a success=true,latency_ms=3 ${ns(0)}`,
    `mem,host=p used_percent=41.2 ${ns(0)}`,
    `cpu,cpu=cpu-total,host=p usage_idle=98.5,usage_user=0.4 ${ns(1)}`,
  ];

  it('are skipped and counted, the others kept, when the rules skip them', () => {
    const { rows, skipped, skippedNames } = decode(lines, skip);
    expect(rows.map((r) => r.tags)).toEqual([{ endpoint: 'a' }]);
    expect(skipped).toBe(3);
    expect(skippedNames).toEqual(['cpu', 'mem']);
  });

  it('refuse the whole body when the rules refuse them, naming the mapped measurements too', () => {
    const out = decodeLineProtocol(lines.join('\n'), { precision: 'ns', nowUs: 0, rules: refuse });
    expect(out).toEqual({
      ok: false,
      line: 1,
      message:
        'line 1: measurement "cpu" is not accepted; the accepted measurements are test_result and circuit_breaker, and the mapped ones http_response, ping, net_response',
    });
  });

  it('are still parsed: a malformed line of one refuses the body', () => {
    const out = decodeLineProtocol(`cpu,host=p usage_idle=\n${lines[1]}`, { precision: 'ns', nowUs: 0, rules: skip });
    expect(out).toMatchObject({ ok: false, line: 1 });
  });
});

describe('mapping settings', () => {
  const custom = {
    probe: {
      success: [{ field: 'ok', equals: true }],
      latency: { field: 'took_us', unit: 'us' },
      tags: { endpoint: '{target}', test: 'probe-{kind}' },
      metrics: ['bytes'],
    },
  };

  it('map a measurement of their own, and leave out a tag whose template names a missing tag', () => {
    const specs = parseMappings(JSON.stringify(custom));
    const rules: IngestRules = { mappings: compileMappings(specs), unknown: 'refuse' };
    const { rows } = decode(
      [
        `probe,kind=dns,target=ns1 ok=true,took_us=1500i,bytes=64i,other="x" ${ns(0)}`,
        `probe,target=ns2 ok=false ${ns(1)}`,
      ],
      rules,
    );
    expect(rows.map((r) => [r.tags, r.success, r.latency, r.metrics])).toEqual([
      [{ endpoint: 'ns1', test: 'probe-dns' }, true, 1.5, { bytes: 64 }],
      [{ endpoint: 'ns2' }, false, null, null],
    ]);
  });

  it('replace a built-in one of the same measurement, and null removes one', () => {
    const specs = parseMappings(JSON.stringify({ ping: custom.probe, net_response: null }), TELEGRAF_MAPPINGS);
    expect(Object.keys(specs).sort()).toEqual(['http_response', 'ping']);
    expect(specs.ping!.latency).toEqual({ field: 'took_us', unit: 'us' });
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /^is not valid JSON/],
    ['not an object', [], /must be a JSON object of measurement -> mapping/],
    [
      'our own measurement',
      { test_result: custom.probe },
      /^test_result: test_result is stored as it is and cannot be mapped/,
    ],
    ['no success', { probe: { tags: {} } }, /^probe\.success: must be a list of conditions/],
    ['empty success', { probe: { success: [] } }, /^probe\.success: must hold at least one condition/],
    [
      'two tests in a condition',
      { probe: { success: [{ field: 'a', equals: 0, below: 1 }] } },
      /^probe\.success\[0\]: needs exactly one of "equals", "below" or "above"/,
    ],
    [
      'a bad unit',
      { probe: { ...custom.probe, latency: { field: 't', unit: 'min' } } },
      /^probe\.latency\.unit: must be one of s, ms, us, ns/,
    ],
    ['a misspelt key', { probe: { ...custom.probe, metric: [] } }, /^probe: .*"metric"/],
    [
      'a bad template',
      { probe: { ...custom.probe, tags: { endpoint: '{server' } } },
      /^probe\.tags\.endpoint: template "\{server" has a "\{" without its "\}"/,
    ],
    [
      'a reserved tag key',
      { probe: { ...custom.probe, tags: { _x: 'y' } } },
      /^probe\.tags\._x: tag key "_x" starts with "_"/,
    ],
    [
      'a reserved metric',
      { probe: { ...custom.probe, metrics: ['latency_ms'] } },
      /^probe\.metrics\[0\]: "latency_ms" is a field of test_result/,
    ],
  ];
  it.each(bad)('are refused with the key at fault: %s', (_name, value, message) => {
    expect(() => parseMappings(typeof value === 'string' ? value : JSON.stringify(value))).toThrow(message);
  });

  it('of the built-ins are themselves valid settings', () => {
    const specs: MappingSpecs = parseMappings(JSON.stringify(TELEGRAF_MAPPINGS));
    expect(specs).toEqual(TELEGRAF_MAPPINGS);
  });
});
