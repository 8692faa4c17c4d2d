/**
 * The engine across the worker boundary (comlink). Three things comlink does not carry by itself:
 *
 * - cancellation and progress of a long job: each job gets a MessageChannel; the page posts
 *   `abort` on it when the job's AbortSignal fires, the worker posts `progress` (throttled);
 * - errors keep `name`, `code` and a compatibility `report` (comlink alone keeps only name and
 *   message): the worker throws a plain object, the page turns it back into a `RemoteError`;
 * - the engine's method list, so the page-side object is a plain `StudioEngine`.
 *
 * Adding a method: add it to `StudioEngine` (engine-api.ts) and to ENGINE_METHODS; a long one that
 * takes a trailing `JobOptions` goes in JOB_METHODS too.
 */
import * as Comlink from 'comlink';
import type { JobOptions, StudioEngine } from './engine-api.ts';
import { throttleProgress } from './progress.ts';

export const ENGINE_METHODS = [
  'backend', 'open', 'close', 'loadDemo', 'compatibility', 'analyse', 'save', 'configureTesting',
  'setData', 'clearData', 'loadDemoData', 'sweep', 'generate', 'exportOnnx', 'diagnostics',
] as const satisfies readonly (keyof StudioEngine)[];
/** Methods whose last argument is a `JobOptions`. */
export const JOB_METHODS = ['analyse', 'save', 'sweep', 'generate', 'exportOnnx'] as const satisfies readonly (keyof StudioEngine)[];

// Every engine method must be listed (a compile error names the missing one).
type Unlisted = Exclude<keyof StudioEngine, (typeof ENGINE_METHODS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

type JobMethod = (typeof JOB_METHODS)[number];
type Wired<F> = F extends (...args: [...infer A, JobOptions<any, any>]) => infer R ? (...args: [...A, JobPort]) => R : never;
/** What the worker exposes: job methods take a MessagePort instead of JobOptions. */
export type WireEngine = { [K in keyof StudioEngine]: K extends JobMethod ? Wired<StudioEngine[K]> : StudioEngine[K] };

/**
 * Page → worker: abort. Worker → page: progress (snapshots: throttled, the latest always arrives)
 * and events (every one, in order), then done (so that nothing trails the result).
 */
type PortMessage = { type: 'abort' } | { type: 'progress'; progress: unknown } | { type: 'event'; event: unknown } | { type: 'done' };

/** A MessagePort as used here (structural: the same code runs in browsers and in Node's tests). */
export interface JobPort {
  postMessage(message: PortMessage): void;
  addEventListener(type: 'message', listener: (event: { data: PortMessage }) => void): void;
  start(): void;
  close(): void;
}

function newChannel(): { port1: JobPort; port2: JobPort } {
  return new (globalThis as unknown as { MessageChannel: new () => { port1: JobPort; port2: JobPort } }).MessageChannel();
}

/** An error that crossed from the worker: the original `name`, `code` and extra fields. */
export class RemoteError extends Error {
  override name: string;
  readonly code: string | undefined;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(wire: WireError) {
    super(wire.message);
    this.name = wire.name;
    this.code = wire.code;
    this.details = wire.details;
    if (wire.stack) this.stack = wire.stack;
  }
}

interface WireError {
  readonly wireError: true;
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  readonly stack: string | undefined;
  readonly details: Record<string, unknown>;
}

/** Fields besides name/message/stack that errors of src/core carry (code, file, tensor, report…). */
function toWireError(e: unknown): WireError {
  if (!(e instanceof Error)) return { wireError: true, name: 'Error', message: String(e), code: undefined, stack: undefined, details: {} };
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (key === 'code' || key === 'name' || key === 'cause') continue;
    try {
      structuredClone(value);
      details[key] = value;
    } catch {
      // not cloneable: left out
    }
  }
  const code = (e as { code?: unknown }).code;
  return { wireError: true, name: e.name, message: e.message, code: typeof code === 'string' ? code : undefined, stack: e.stack, details };
}

function isWireError(v: unknown): v is WireError {
  return typeof v === 'object' && v !== null && (v as { wireError?: unknown }).wireError === true;
}

/**
 * Worker side: one job's options from its port. Progress is throttled (progress.ts: at most every
 * `intervalMs`, the latest always posted, before `done` at the latest). Events are posted as they
 * come.
 */
function jobFromPort(port: JobPort, intervalMs: number): { job: JobOptions<unknown, unknown>; dispose(): void } {
  const controller = new AbortController();
  port.addEventListener('message', (event) => {
    if (event.data.type === 'abort') controller.abort();
  });
  port.start();
  const progress = throttleProgress((p: unknown) => port.postMessage({ type: 'progress', progress: p } satisfies PortMessage), intervalMs);
  const job: JobOptions<unknown, unknown> = {
    signal: controller.signal,
    onProgress: (p) => progress.push(p),
    onEvent(event) {
      port.postMessage({ type: 'event', event } satisfies PortMessage);
    },
  };
  const dispose = () => {
    progress.flush();
    port.postMessage({ type: 'done' } satisfies PortMessage);
    port.close();
  };
  return { job, dispose };
}

/** Worker side: exposes `engine` on `endpoint` (the worker's global scope by default). */
export function exposeEngine(engine: StudioEngine, endpoint?: Comlink.Endpoint, options: { progressIntervalMs?: number } = {}): void {
  const interval = options.progressIntervalMs ?? 50;
  const wire: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of ENGINE_METHODS) {
    const call = (engine[method] as (...args: unknown[]) => Promise<unknown>).bind(engine);
    wire[method] = async (...args) => {
      let dispose = () => {};
      if ((JOB_METHODS as readonly string[]).includes(method)) {
        const port = args.pop() as JobPort;
        const converted = jobFromPort(port, interval);
        dispose = converted.dispose;
        args.push(converted.job);
      }
      try {
        return await call(...args);
      } catch (e) {
        throw toWireError(e);
      } finally {
        dispose();
      }
    };
  }
  Comlink.expose(wire, endpoint);
}

/** Page side: the engine behind `endpoint` (a Worker). */
export function connectEngine(endpoint: Comlink.Endpoint): StudioEngine {
  const remote = Comlink.wrap<Record<string, (...args: unknown[]) => Promise<unknown>>>(endpoint);
  const engine: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of ENGINE_METHODS) {
    const isJob = (JOB_METHODS as readonly string[]).includes(method);
    engine[method] = async (...args) => {
      let finish = async () => {};
      if (isJob) {
        const job = (args.pop() ?? {}) as JobOptions<unknown, unknown>;
        const { port1, port2 } = newChannel();
        let drained = () => {};
        const done = new Promise<void>((resolve) => (drained = resolve));
        port1.addEventListener('message', (event) => {
          if (event.data.type === 'progress') job.onProgress?.(event.data.progress);
          else if (event.data.type === 'event') job.onEvent?.(event.data.event);
          else if (event.data.type === 'done') drained();
        });
        port1.start();
        const onAbort = () => port1.postMessage({ type: 'abort' } satisfies PortMessage);
        job.signal?.addEventListener('abort', onAbort, { once: true });
        if (job.signal?.aborted) onAbort();
        args.push(Comlink.transfer(port2, [port2] as unknown as Parameters<typeof Comlink.transfer>[1]));
        finish = async () => {
          // Progress the worker sent before returning is delivered before the result is.
          await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))]);
          job.signal?.removeEventListener('abort', onAbort);
          port1.close();
        };
      }
      try {
        return await remote[method]!(...args);
      } catch (e) {
        throw isWireError(e) ? new RemoteError(e) : e;
      } finally {
        await finish();
      }
    };
  }
  return engine as unknown as StudioEngine;
}
