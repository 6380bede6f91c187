// Kind-specific parameters (AnalysisRequest.options) arrive as strings from a query string, a JSON body or the
// command line. A runner reads them through this, so every one is checked and a bad one is a 400 that names it.
import { invalid } from '../errors.js';
import { checkMetricName } from '../model/result.js';

const bad = (name: string, message: string) => invalid(`parameter "${name}" ${message}`, { parameter: name });

export class Options {
  constructor(
    private readonly raw: Record<string, string>,
    allowed: readonly string[],
    kind: string,
  ) {
    for (const k of Object.keys(raw)) {
      if (!allowed.includes(k)) {
        throw bad(k, `is not known for ${kind}; its own parameters: ${allowed.length ? allowed.join(', ') : 'none'}`);
      }
    }
  }

  /** A 400 about one of these parameters. */
  invalid(name: string, message: string) {
    return bad(name, message);
  }

  enum<T extends string>(name: string, values: readonly T[], dflt: T): T {
    const v = this.raw[name];
    if (v === undefined || v === '') return dflt;
    if (!(values as readonly string[]).includes(v)) throw bad(name, `must be one of ${values.join(', ')} (got "${v.slice(0, 60)}")`);
    return v as T;
  }

  number(name: string, min: number, max: number, dflt: number): number {
    const v = this.raw[name];
    if (v === undefined || v === '') return dflt;
    const x = Number(v);
    if (!/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v.trim()) || !Number.isFinite(x) || x < min || x > max) {
      throw bad(name, `must be a number from ${min} to ${max} (got "${v.slice(0, 60)}")`);
    }
    return x;
  }

  /** Comma-separated metric names. */
  names(name: string): string[] {
    const v = this.raw[name];
    if (v === undefined || v.trim() === '') return [];
    const out = [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
    if (out.length > 64) throw bad(name, 'lists more than 64 names');
    for (const n of out) {
      const problem = checkMetricName(n);
      if (problem) throw bad(name, problem);
    }
    return out;
  }

  bool(name: string, dflt: boolean): boolean {
    const v = this.raw[name];
    if (v === undefined || v === '') return dflt;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw bad(name, `must be true or false (got "${v.slice(0, 60)}")`);
  }
}
