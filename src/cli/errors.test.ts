import { describe, expect, it } from 'vitest';
import { CancelledError } from '../core/cancel.ts';
import { EvalError } from '../core/eval/errors.ts';
import { MergeError } from '../core/merge/plan.ts';
import { SafetensorsError } from '../core/safetensors/errors.ts';
import { StagingError } from '../node/staging.ts';
import { CommandCancelled, DEFAULT_CANCEL_MESSAGE, outcomeOf } from './errors.ts';
import { printable } from './text.ts';

describe('outcomeOf: errors read by their shape', () => {
  it('any Error with an UPPER_SNAKE code is ours: exit 2, its message as it is', () => {
    expect(outcomeOf(new EvalError('BAD_JSON', 'data.jsonl:3: not JSON'), false)).toEqual({ exit: 2, message: 'data.jsonl:3: not JSON' });
    // A class the CLI has never heard of, as one that crossed a worker boundary looks.
    const foreign = Object.assign(new Error('a.safetensors: unknown dtype'), { name: 'SomeNewError', code: 'UNKNOWN_DTYPE' });
    expect(outcomeOf(foreign, false).exit).toBe(2);
  });
  it('codes that are not the input\'s fault, Node system errors and bugs: exit 1', () => {
    expect(outcomeOf(new SafetensorsError('READ_FAILED', 'read failed', 'm.safetensors'), false).exit).toBe(1);
    expect(outcomeOf(new StagingError('WRITE_FAILED', 'out/model.safetensors', new Error('ENOSPC: no space left on device, write')), false)).toEqual({
      exit: 1,
      message: 'out/model.safetensors: cannot write (ENOSPC: no space left on device, write)',
    });
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    expect(outcomeOf(enospc, false).exit).toBe(1);
    expect(outcomeOf(Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' }), false).exit).toBe(1);
    expect(outcomeOf(new RangeError('oops'), false).exit).toBe(1);
  });
  it('cancellation, in any module\'s class, or any failure after a signal: exit 130 with the command\'s message or the default', () => {
    expect(outcomeOf(new MergeError('CANCELLED', 'cancelled'), false)).toEqual({ exit: 130, message: DEFAULT_CANCEL_MESSAGE });
    expect(outcomeOf(new CancelledError('export cancelled'), false)).toEqual({ exit: 130, message: DEFAULT_CANCEL_MESSAGE });
    expect(outcomeOf(new Error('worker terminated'), true)).toEqual({ exit: 130, message: DEFAULT_CANCEL_MESSAGE });
    expect(outcomeOf(new CommandCancelled('cancelled; r.json keeps 2 finished runs'), true)).toEqual({ exit: 130, message: 'cancelled; r.json keeps 2 finished runs' });
  });
});

describe('printable', () => {
  it('escapes C0, DEL, C1 and the separators and overrides that rewrite a line; plain text is unchanged', () => {
    expect(printable('model.layers.0.mlp.weight C:\\models\\ü')).toBe('model.layers.0.mlp.weight C:\\models\\ü');
    expect(printable('a\rb\nc\td')).toBe('a\\rb\\nc\\td');
    expect(printable('\u001b[2J\u0000\u007f\u009b')).toBe('\\x1b[2J\\x00\\x7f\\x9b');
    expect(printable('x\u2028y\u202ez')).toBe('x\\u2028y\\u202ez');
    // Once anything is escaped, backslashes are too, so the escaped text reads one way.
    expect(printable('\\x1b\u001b')).toBe('\\\\x1b\\x1b');
  });
});
