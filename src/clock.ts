/** Time is an argument: tasks and handlers ask the clock, tests set it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function fixedClock(ms: number): Clock & { set(ms: number): void; advance(ms: number): void } {
  let t = ms;
  return {
    now: () => t,
    set: (v) => {
      t = v;
    },
    advance: (d) => {
      t += d;
    },
  };
}
