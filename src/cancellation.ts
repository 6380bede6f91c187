// Stopping the work of a request whose client has gone. The HTTP layer runs each request's handler inside
// `withCancellation` with a signal that aborts when the client disconnects before the answer is sent; the store's
// reader pool (store/duckdb/db.ts) picks the signal up from the async context, refuses to start queries for it and
// interrupts the one running. So a dashboard that gives up on a long range, or a client that times out, frees the
// database at once instead of leaving it busy for minutes, without every read passing a signal along.
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Thrown into work whose request was given up by its client; nobody is left to answer. */
export class Cancelled extends Error {
  constructor() {
    super('the client went away before the answer was ready');
    this.name = 'Cancelled';
  }
}

export function isCancelled(e: unknown): e is Cancelled {
  return e instanceof Cancelled;
}

/** Runs `fn` so that the work it starts, down to the store's queries, stops when `signal` aborts. */
export function withCancellation<R>(signal: AbortSignal, fn: () => R): R {
  return scope.run(signal, fn);
}

/** The signal of the request this code runs for, if any (background tasks have none). */
export function currentSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** Throws Cancelled when the current request's client has gone. */
export function throwIfCancelled(): void {
  if (currentSignal()?.aborted) throw new Cancelled();
}
