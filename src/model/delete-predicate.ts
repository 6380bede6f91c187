// The predicate of a delete (POST /api/v2/delete, `resultant delete`), in InfluxDB 2's syntax: `key="value"`
// terms joined by AND, `_measurement` naming the measurement, the empty predicate selecting every series. Anything
// else (OR, !=, regular expressions, parentheses, unknown measurements, keys a tag may not have) is refused with a
// message that says what is wrong and at which column. Keys are checked with the write path's own rule
// (checkTagKey) before anything uses them; stores match them against their catalogue, never as SQL.
import { invalid } from '../errors.js';
import { checkTagKey, MEASUREMENTS, type Measurement, type Tags } from './result.js';

export interface DeletePredicate {
  measurement?: Measurement;
  /** Tag equalities, all of which a series must have. */
  tags: Tags;
}

/** The 400 of a predicate, naming the 1-based column where the problem starts. */
function refuse(message: string, column: number): never {
  const full = `${message} (column ${column})`;
  throw invalid(`invalid delete: "predicate" ${full}`, { errors: [{ path: 'predicate', message: full, column }] });
}

/** Characters that end a bare key (and start no key). */
const KEY_STOP = /[\s=!<>~"'(),]/;

export function parseDeletePredicate(text: string): DeletePredicate {
  const out: DeletePredicate = { tags: {} };
  const seen = new Map<string, number>();
  let i = 0;
  const col = () => i + 1;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const word = (): string => {
    let j = i;
    while (j < text.length && !KEY_STOP.test(text[j]!)) j++;
    return text.slice(i, j);
  };

  skipSpace();
  if (i === text.length) return out;
  for (;;) {
    // key
    skipSpace();
    if (i === text.length) refuse('a term key="value" is missing after AND', col());
    const c = text[i]!;
    if (c === '(' || c === ')') refuse('parentheses are not supported: write terms key="value" joined by AND', col());
    if (c === '"' || c === "'") refuse('a key is expected here, without quotes (e.g. endpoint="api")', col());
    const keyCol = col();
    const key = word();
    if (key === '') refuse(`a key is expected here, found "${c}"`, keyCol);
    const upper = key.toUpperCase();
    if (upper === 'OR') refuse('OR is not supported: InfluxDB delete predicates join terms with AND only', keyCol);
    if (upper === 'NOT') refuse('NOT is not supported: only key="value" terms joined by AND', keyCol);
    i += key.length;
    // operator
    skipSpace();
    const opCol = col();
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '<>') refuse(`operator "${two}" is not supported: only equality, key="value"`, opCol);
    if (two === '=~' || two === '!~')
      refuse(`regular expressions ("${two}") are not supported: only equality, key="value"`, opCol);
    if (text[i] === '<' || text[i] === '>')
      refuse(`operator "${text[i]}" is not supported: only equality, key="value"`, opCol);
    if (text[i] !== '=') refuse(`"=" is expected after the key "${key}"`, opCol);
    i++;
    // value
    skipSpace();
    const valueCol = col();
    if (text[i] !== '"') {
      if (text[i] === '/')
        refuse('regular expressions are not supported: the value must be a double-quoted string', valueCol);
      refuse(`the value of "${key}" must be a double-quoted string, e.g. ${key}="value"`, valueCol);
    }
    i++;
    let value = '';
    for (;;) {
      if (i >= text.length) refuse(`the string that starts at column ${valueCol} is not closed with "`, valueCol);
      const ch = text[i]!;
      if (ch === '\\' && i + 1 < text.length) {
        value += text[i + 1]!;
        i += 2;
        continue;
      }
      i++;
      if (ch === '"') break;
      value += ch;
    }
    // the term's meaning
    if (seen.has(key)) refuse(`"${key}" is given twice (first at column ${seen.get(key)})`, keyCol);
    seen.set(key, keyCol);
    if (key === '_measurement') {
      if (!(MEASUREMENTS as readonly string[]).includes(value)) {
        refuse(`unknown measurement "${value}": the measurements are ${MEASUREMENTS.join(' and ')}`, valueCol);
      }
      out.measurement = value as Measurement;
    } else {
      const bad = checkTagKey(key);
      if (bad !== null) refuse(`${bad}; the keys are _measurement and tag keys`, keyCol);
      out.tags[key] = value;
    }
    // AND or the end
    skipSpace();
    if (i === text.length) return out;
    const joinCol = col();
    if (text[i] === '(' || text[i] === ')')
      refuse('parentheses are not supported: write terms key="value" joined by AND', joinCol);
    const next = word();
    if (next.toUpperCase() === 'AND') {
      i += next.length;
      continue;
    }
    if (next.toUpperCase() === 'OR')
      refuse('OR is not supported: InfluxDB delete predicates join terms with AND only', joinCol);
    refuse(`AND or the end of the predicate is expected, found "${next || text[i]!}"`, joinCol);
  }
}

/** InfluxDB's string literal of `s`: double quotes, with `"` and `\` escaped. */
const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The predicate in InfluxDB 2's syntax (what the InfluxDB store sends to its /api/v2/delete). */
export function formatDeletePredicate(p: { measurement?: string; tags: Tags }): string {
  const terms: string[] = [];
  if (p.measurement !== undefined) terms.push(`_measurement=${quote(p.measurement)}`);
  for (const [k, v] of Object.entries(p.tags)) terms.push(`${k}=${quote(v)}`);
  return terms.join(' AND ');
}
