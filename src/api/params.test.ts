// How a declared query schema's problems become the 400 (parseQuery): the first problem, in the words of the
// parameter helpers, naming the parameter in the message and in `parameter`. A unit test: no server.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorBody, isAppError } from '../errors.js';
import { bool, oneOf, parseQuery, stopAfterStart, TAGS, tags, time, whole } from './params.js';

const schema = z
  .object({
    period: oneOf(['hour', 'day'], 'bucket size'),
    start: time('from'),
    stop: time('until'),
    fill: bool('empty buckets too', false),
    limit: whole('most', 1, 10, 5),
    [TAGS]: tags(),
  })
  .superRefine(stopAfterStart);

/** The 400 body of a query, or its parsed value. */
function answer(q: Record<string, string | string[]>): unknown {
  try {
    return parseQuery(schema, q);
  } catch (e) {
    if (!isAppError(e)) throw e;
    return errorBody(e);
  }
}

describe('parseQuery', () => {
  it('gives the parsed values, defaults applied and tag filters gathered', () => {
    expect(answer({ period: 'day', 'tag.region': ['eu', 'us', 'eu'], _: '1' })).toEqual({
      period: 'day',
      start: undefined,
      stop: undefined,
      fill: false,
      limit: 5,
      [TAGS]: { region: ['eu', 'us'] },
    });
  });

  it.each([
    [
      { period: 'day', groupby: 'x' },
      'groupby',
      'is not known here; known parameters: period, start, stop, fill, limit, tag.<key>',
    ],
    [{}, 'period', 'is required: one of hour, day'],
    [{ period: 'week' }, 'period', 'must be one of hour, day (got "week")'],
    [{ period: ['hour', 'day'] }, 'period', 'is given more than once'],
    [{ period: 'hour', limit: '11' }, 'limit', 'must be a whole number from 1 to 10 (got "11")'],
    [{ period: 'hour', fill: 'yes' }, 'fill', 'must be true or false (got "yes")'],
    [{ period: 'hour', 'tag.': 'x' }, 'tag.', expect.stringMatching(/^names an invalid tag: /)],
    [{ period: 'hour', start: '2026-01-02T00:00:00Z', stop: '2026-01-01T00:00:00Z' }, 'stop', 'must be after "start"'],
    [{ period: 'hour', start: 'yesterday' }, 'start', expect.stringMatching(/^must be an RFC 3339 timestamp/)],
  ])('%j: a 400 naming %s', (q, parameter, problem) => {
    const body = answer(q) as { code: string; message: string; parameter: string };
    expect(body).toEqual({ code: 'invalid', parameter, message: expect.any(String) });
    expect(body.message.startsWith(`parameter "${parameter}" `)).toBe(true);
    expect(body.message.slice(`parameter "${parameter}" `.length)).toEqual(problem);
  });
});
