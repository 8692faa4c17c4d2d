/** Test helpers: the EvalError a call or a promise fails with (anything else fails the test). */
import { EvalError } from './errors.ts';

export function evalError(fn: () => unknown): EvalError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EvalError) return e;
    throw e;
  }
  throw new Error('expected an EvalError');
}

export async function asyncEvalError(promise: Promise<unknown>): Promise<EvalError> {
  const e = await promise.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (e instanceof EvalError) return e;
  throw e === undefined ? new Error('expected an EvalError') : new Error(`expected an EvalError, got ${String(e)}`);
}
