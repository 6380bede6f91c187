// Line protocol into our schema: test_result and circuit_breaker rules, line numbers, precisions, retention.
import { describe, expect, it } from 'vitest';
import { decodeLineProtocol } from './validate.js';

const T = '1795255200000000000'; // 2026-11-21T10:00:00Z in ns
const decode = (body: string, extra: Partial<Parameters<typeof decodeLineProtocol>[1]> = {}) =>
  decodeLineProtocol(body, { precision: 'ns', nowUs: 42, ...extra });

function fails(body: string, re: RegExp, line?: number): void {
  const r = decode(body);
  expect(r.ok, body).toBe(false);
  if (r.ok) return;
  expect(r.message).toMatch(re);
  if (line !== undefined) {
    expect(r.line).toBe(line);
    expect(r.message.startsWith(`line ${line}: `)).toBe(true);
  }
}

describe('test_result', () => {
  it('turns fields into a result: success, latency, error strings and numeric metrics', () => {
    const r = decode(
      `test_result,endpoint=api,region=eu success=false,latency_ms=5000i,error="timeout",error_type="net",retries=3i,bytes=10u,cpu=0.5 ${T}`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const x = r.batch.toArrays();
    expect(x.time).toEqual([1795255200000000]);
    expect(x.success).toEqual([false]);
    expect(x.latency).toEqual([5000]);
    expect(x.error).toEqual(['timeout']);
    expect(x.errorType).toEqual(['net']);
    expect(x.metrics).toEqual([{ retries: 3, bytes: 10, cpu: 0.5 }]);
    expect(x.series[0]!.tags).toEqual({ endpoint: 'api', region: 'eu' });
  });

  it('stamps lines without a timestamp with the receive time', () => {
    const r = decode('test_result success=true');
    expect(r.ok && r.batch.toArrays().time).toEqual([42]);
  });

  it('stamps untimed lines a microsecond apart in request order, so that they never replace each other', () => {
    const r = decode(
      'test_result success=true\ntest_result success=false 5000\ntest_result success=false\ntest_result success=true',
    );
    expect(r.ok && r.batch.toArrays().time).toEqual([42, 5, 43, 44]);
  });

  it('shares one series object for the same tags in any order', () => {
    const r = decode(`test_result,a=1,b=2 success=t ${T}\ntest_result,b=2,a=1 success=f ${T}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.batch.toArrays().series[0]).toBe(r.batch.toArrays().series[1]);
  });

  it('accepts CRLF, comments and blank lines between points', () => {
    const r = decode(`# run 17\r\ntest_result success=t ${T}\r\n\r\n# more\r\ntest_result success=f ${T}\r\n`);
    expect(r.ok && r.batch.size).toBe(2);
  });

  it.each([
    ['test_result latency_ms=3', /field "success" is missing/],
    ['test_result success=1i', /"success" must be a boolean/],
    ['test_result success="true"', /"success" must be a boolean/],
    ['test_result success=t,latency_ms="5"', /"latency_ms" must be a number/],
    ['test_result success=t,latency_ms=-1', /"latency_ms" must not be negative/],
    ['test_result success=t,latency_ms=t', /"latency_ms" must be a number/],
    ['test_result success=t,error=5i', /"error" must be a "quoted string"/],
    ['test_result success=t,note="x"', /"note" is a string; only "error" and "error_type"/],
    ['test_result success=t,cached=t', /"cached" is a boolean; only "success"/],
    ['test_result success=t,_internal=1', /starts with "_"/],
    ['test_result,_k=v success=t', /tag key "_k" starts with "_"/],
    ['test_result,k=a,k=b success=t', /tag "k" appears more than once/],
    [
      'cpu,host=a usage=1',
      /measurement "cpu" is not accepted; the accepted measurements are test_result and circuit_breaker/,
    ],
    ['test_result success=t -1000000000', /before 1970/],
    ['test_result success=t 9223372036854775808', /after 2255-06-05T23:47:34.740991Z/],
    ['test_result success=t 9223372036854775000', /after 2255-06-05T23:47:34.740991Z/],
    ['test_result success=t 9007199254740992000', /after 2255-06-05T23:47:34.740991Z/],
    ['test_result success=f,error="a\u0000b"', /field "error" contains a control character/],
    ['test_result success=f,error_type="x\ty"', /field "error_type" contains a control character/],
  ])('refuses %s', (body, re) => fails(body, re, 1));

  it('keeps a tab in an error message', () => {
    const r = decode(`test_result success=f,error="a\tb",error_type="assert" ${T}`);
    expect(r.ok && r.batch.toArrays().error).toEqual(['a\tb']);
  });

  it('names the first bad line, counting comments and blank lines', () => {
    fails(
      `test_result success=t ${T}\n# comment\n\ntest_result latency_ms=1 ${T}\ntest_result bad`,
      /field "success" is missing/,
      4,
    );
  });

  it('refuses points older than the retention bound, naming the line', () => {
    const r = decode(`test_result success=t ${T}\ntest_result success=t 1000000000000000000`, {
      minTimeUs: 1795000000000000,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.line).toBe(2);
    expect(r.message).toMatch(/line 2: timestamp 2001-09-09T01:46:40Z is older than the raw retention allows/);
  });

  it.each([
    ['ns', T],
    ['us', '1795255200000000'],
    ['ms', '1795255200000'],
    ['s', '1795255200'],
    ['m', '29920920'],
    ['h', '498682'],
  ] as const)('converts precision %s', (precision, ts) => {
    const r = decode(`test_result success=t ${ts}`, { precision });
    expect(r.ok && r.batch.toArrays().time).toEqual([1795255200000000]);
  });
});

describe('circuit_breaker', () => {
  it('turns a transition into an event', () => {
    const r = decode(`circuit_breaker,breaker=pay,endpoint=pay state="half_open",failures=3i ${T}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.batch.breakers.state).toEqual(['half_open']);
    expect(r.batch.breakers.failures).toEqual([3]);
    expect(r.batch.breakers.series[0]!.measurement).toBe('circuit_breaker');
  });

  it.each([
    ['circuit_breaker,endpoint=pay state="open"', /tag "breaker" is missing/],
    ['circuit_breaker,breaker=b failures=1i', /field "state" is missing/],
    ['circuit_breaker,breaker=b state="broken"', /"state" must be one of "closed", "open", "half_open"/],
    ['circuit_breaker,breaker=b state=open', /field "state" has an invalid value "open"/],
    ['circuit_breaker,breaker=b state="open",failures=1.5', /"failures" must be a non-negative integer/],
    ['circuit_breaker,breaker=b state="open",latency_ms=1', /"latency_ms" is not part of circuit_breaker/],
  ])('refuses %s', (body, re) => fails(body, re, 1));
});
