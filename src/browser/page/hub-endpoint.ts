/**
 * The Hugging Face Hub endpoint the studio talks to, one setting for the page: checkpoints ("Load
 * from Hugging Face") and benchmark data (the Evaluate panel's "From Hugging Face") both read it.
 * https://huggingface.co unless the page's URL says `?hub=<endpoint>` (the browser tests point it
 * at a local server); "Advanced" under "Load from Hugging Face" changes it until the page reloads.
 */
import { HF_ENDPOINT, type HubFetch } from '../../core/hub/http.ts';

let endpoint: string | null = null;
const listeners = new Set<() => void>();

/** The endpoint as set (possibly blank while being edited). */
export function hubEndpoint(): string {
  endpoint ??= new URLSearchParams(globalThis.location?.search ?? '').get('hub') || HF_ENDPOINT;
  return endpoint;
}

/** The endpoint to send requests to: the setting, or the Hub's when it is blank. */
export function effectiveHubEndpoint(): string {
  return hubEndpoint().trim() || HF_ENDPOINT;
}

export function setHubEndpoint(value: string): void {
  endpoint = value;
  for (const listener of listeners) listener();
}

/** For `useSyncExternalStore`. */
export function subscribeHubEndpoint(listener: () => void): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** The platform's `fetch` as core's Hub clients take it. */
export const hubFetch: HubFetch = (url, init) => fetch(url, init);
