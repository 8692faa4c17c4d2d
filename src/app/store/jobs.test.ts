import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/hub/http.ts';
import { RemoteError } from '../../browser/shared/wire.ts';
import { EvalError } from '../../core/eval/errors.ts';
import { errorLine, isCancelled } from './jobs.ts';

describe('isCancelled', () => {
  it('knows every way a cancellation arrives, and nothing else', () => {
    const aborted = new AbortController();
    aborted.abort();
    let thrown: unknown;
    try {
      aborted.signal.throwIfAborted();
    } catch (e) {
      thrown = e;
    }
    expect(isCancelled(thrown)).toBe(true); // the platform's AbortError (a bare signal.throwIfAborted())
    expect(isCancelled(new RemoteError({ wireError: true, name: 'AbortError', message: 'aborted', code: undefined, stack: undefined, details: {} }))).toBe(true);
    expect(isCancelled(new EvalError('CANCELLED', 'sweep cancelled'))).toBe(true);
    expect(isCancelled(new HubError('CANCELLED', 'acme/x: downloading config.json was cancelled', 'acme/x'))).toBe(true); // the Hub clients
    expect(isCancelled({ code: 'ABORTED' })).toBe(false); // one spelling
    expect(isCancelled(new EvalError('BAD_OPTION', 'give at least one α'))).toBe(false);
    expect(isCancelled(new Error('boom'))).toBe(false);
    expect(isCancelled('CANCELLED')).toBe(false);
    expect(isCancelled(null)).toBe(false);
  });
});

describe('errorLine', () => {
  it('keeps a message that quotes a tensor name with control characters on one line, whole', () => {
    const e = new Error('model.safetensors: tensor "evil\r\n\u001b[2Jname" has 3 elements, expected 4');
    expect(errorLine(e)).toBe('model.safetensors: tensor "evil\\r\\n\\x1b[2Jname" has 3 elements, expected 4');
    expect(errorLine(new Error('plain message'))).toBe('plain message');
  });
});
