/**
 * How many token ids a checkpoint's tokenizer.json can produce, read from the JSON alone (no
 * tokenizer is built): 1 + the largest id among `model.vocab` (an object of token → id for BPE,
 * WordPiece and WordLevel; a list of [token, score] for Unigram, whose ids are the positions) and
 * `added_tokens[].id`. It equals `vocabSize` of ../text/tokenizer.ts's loaded tokenizer
 * (`get_vocab(true)`), so that a compatibility report can compare it with the embedding's rows
 * without loading the tokenizer.
 */

export interface TokenizerIds {
  readonly file: string;
  /** 1 + the largest id; null when the file could not be read as a tokenizer (`problem` says why). */
  readonly idCount: number | null;
  readonly problem?: string;
}

export function tokenizerIdCount(json: unknown): number {
  const root = json as { model?: { vocab?: unknown }; added_tokens?: unknown } | null;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new Error('not a JSON object');
  const vocab = root.model?.vocab;
  let count = 0;
  if (Array.isArray(vocab)) {
    count = vocab.length;
  } else if (vocab !== null && typeof vocab === 'object') {
    for (const id of Object.values(vocab)) count = Math.max(count, tokenId(id, 'model.vocab') + 1);
  } else {
    throw new Error('has no "model.vocab"');
  }
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) throw new Error('"added_tokens" is not a list');
  for (const t of added) count = Math.max(count, tokenId((t as { id?: unknown } | null)?.id, 'added_tokens') + 1);
  return count;
}

function tokenId(id: unknown, where: string): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new Error(`${where} holds ${JSON.stringify(id)}, not a token id`);
  return id;
}
