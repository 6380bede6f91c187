import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ParsePool } from './parse-pool.js';

let parser: ParsePool | null = null;
afterEach(async () => {
  await parser?.close();
  parser = null;
});

const body = [
  'test_result,endpoint=a,region=eu success=true,latency_ms=12.5,throughput=3 1795255200000000000',
  'test_result,region=eu,endpoint=a success=false,error="boom \\"x\\"",error_type="http" 1795255201000000000',
  'test_result,endpoint=b success=true 1795255202000000000',
  'circuit_breaker,breaker=b-client state="open",failures=5i 1795255203000000000',
  'circuit_breaker,breaker=b-client state="half_open" 1795255204000000000',
].join('\n');

describe('the line-protocol parser pool', () => {
  it('gives the same batch through a worker thread as inline', async () => {
    const inline = new ParsePool(0);
    parser = new ParsePool(2);
    const a = await inline.decode(Buffer.from(body), { precision: 'ns', nowUs: 0 });
    const results = await Promise.all(
      [1, 2, 3].map(() => parser!.decode(Buffer.from(body), { precision: 'ns', nowUs: 0 })),
    );
    await inline.close();
    for (const b of results) {
      expect(b.ok && a.ok).toBe(true);
      if (!b.ok || !a.ok) return;
      expect(b.batch.toArrays().time).toEqual(a.batch.toArrays().time);
      expect(b.batch.toArrays().latency).toEqual([12.5, null, null]);
      expect(b.batch.toArrays().metrics).toEqual(a.batch.toArrays().metrics);
      expect(b.batch.toArrays().error).toEqual([null, 'boom "x"', null]);
      expect(b.batch.toArrays().errorType).toEqual(a.batch.toArrays().errorType);
      expect(b.batch.toArrays().success).toEqual([true, false, true]);
      expect(b.batch.toArrays().series.map((s) => s.key)).toEqual(a.batch.toArrays().series.map((s) => s.key));
      // Equal series are one shared object, as the store expects.
      expect(b.batch.toArrays().series[0]).toBe(b.batch.toArrays().series[1]);
      expect(b.batch.breakers.state).toEqual(['open', 'half_open']);
      expect(b.batch.breakers.failures).toEqual([5, null]);
    }
  });

  it('reports the first bad line and invalid UTF-8 from the worker', async () => {
    parser = new ParsePool(1);
    const bad = await parser.decode(Buffer.from('test_result success=t\ntest_result x=1'), {
      precision: 'ns',
      nowUs: 0,
    });
    expect(bad).toEqual({ ok: false, line: 2, message: 'line 2: field "success" is missing', bytes: 37 });
    await expect(parser.decode(Buffer.from([0x74, 0xff, 0xfe]), { precision: 'ns', nowUs: 0 })).rejects.toThrow(
      /not valid UTF-8/,
    );
  });

  it('inflates a gzip body in the worker, within the limit, and refuses what is not gzip or inflates past it', async () => {
    parser = new ParsePool(1);
    const zipped = gzipSync(Buffer.from(body));
    const opts = { precision: 'ns', nowUs: 0 } as const;
    const plain = await parser.decode(Buffer.from(body), opts);
    const inflated = await parser.decode(zipped, { ...opts, gzip: { maxBytes: body.length } });
    expect(inflated.bytes).toBe(body.length);
    expect(inflated.ok && inflated.batch.resultRows()).toEqual(plain.ok && plain.batch.resultRows());
    const tooLarge = parser.decode(zipped, { ...opts, gzip: { maxBytes: body.length - 1 } });
    await expect(tooLarge).rejects.toMatchObject({ code: 'request too large', details: { limit: body.length - 1 } });
    const notGzip = parser.decode(Buffer.from(body), { ...opts, gzip: { maxBytes: 1e6 } });
    await expect(notGzip).rejects.toMatchObject({ code: 'invalid', message: 'the request body is not valid gzip' });
  });
});
