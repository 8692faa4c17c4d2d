// Web-platform globals that src/core may use.
//
// src/core compiles with lib ES2022 + @webgpu/types only (no DOM lib, no
// @types/node), because it runs unchanged in browsers, web workers and
// Node >= 20. Every global below exists in all three. The declarations are a
// strict subset of lib.dom.d.ts / @types/node, so code that typechecks here
// also typechecks under those. Add a member only when core code needs it.
//
// This file is only part of tsconfig.core.json; other projects get the real
// declarations from the DOM lib or @types/node.

// ---- binary data -----------------------------------------------------------

/** Same as lib.dom.d.ts; @webgpu/types refers to these names too. */
type BufferSource = ArrayBufferView<ArrayBuffer> | ArrayBuffer;
type AllowSharedBufferSource = ArrayBufferLike | ArrayBufferView<ArrayBufferLike>;

// ---- Blob ------------------------------------------------------------------

type BlobPart = BufferSource | Blob | string;

interface BlobPropertyBag {
  type?: string;
}

interface Blob {
  readonly size: number;
  readonly type: string;
  slice(start?: number, end?: number, contentType?: string): Blob;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

declare var Blob: {
  prototype: Blob;
  new (blobParts?: BlobPart[], options?: BlobPropertyBag): Blob;
};

// ---- TextEncoder / TextDecoder ---------------------------------------------

interface TextEncoderEncodeIntoResult {
  read: number;
  written: number;
}

interface TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array<ArrayBuffer>;
  encodeInto(source: string, destination: Uint8Array<ArrayBufferLike>): TextEncoderEncodeIntoResult;
}

declare var TextEncoder: {
  prototype: TextEncoder;
  new (): TextEncoder;
};

interface TextDecoderOptions {
  /** Throw a TypeError on malformed input instead of emitting U+FFFD. */
  fatal?: boolean;
  ignoreBOM?: boolean;
}

interface TextDecodeOptions {
  stream?: boolean;
}

interface TextDecoder {
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: AllowSharedBufferSource, options?: TextDecodeOptions): string;
}

declare var TextDecoder: {
  prototype: TextDecoder;
  new (label?: string, options?: TextDecoderOptions): TextDecoder;
};

// ---- AbortController / AbortSignal -----------------------------------------

interface AbortSignal {
  readonly aborted: boolean;
  /** Whatever was passed to abort(); an "AbortError" DOMException by default. */
  readonly reason: unknown;
  /** Throws `reason` if the signal is aborted. */
  throwIfAborted(): void;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

declare var AbortSignal: {
  prototype: AbortSignal;
  abort(reason?: unknown): AbortSignal;
  any(signals: AbortSignal[]): AbortSignal;
  timeout(milliseconds: number): AbortSignal;
};

interface AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

declare var AbortController: {
  prototype: AbortController;
  new (): AbortController;
};

// ---- performance -----------------------------------------------------------

interface Performance {
  /** Milliseconds since the time origin (monotonic, sub-millisecond). */
  now(): number;
}

declare var performance: Performance;

// ---- console ---------------------------------------------------------------

interface Console {
  debug(...data: unknown[]): void;
  error(...data: unknown[]): void;
  info(...data: unknown[]): void;
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
}

declare var console: Console;

// ---- base64 ---------------------------------------------------------------

/** Base64 → binary string (browsers, workers, Node ≥ 16). */
declare function atob(data: string): string;
