/**
 * The page's access to the Hugging Face Hub: the platform's `fetch` as core's Hub clients take it,
 * and the endpoint the page's URL asks for (`?hub=<endpoint>`: the browser tests point it at a local
 * server). The setting itself lives in the store (`hubEndpoint`), shared by checkpoints and data.
 */
import type { HubFetch } from '../../core/hub/http.ts';

/** The endpoint `?hub=` names, or null (then https://huggingface.co). */
export function hubEndpointFromUrl(search: string): string | null {
  return new URLSearchParams(search).get('hub') || null;
}

/** The platform's `fetch` as core's Hub clients take it. */
export const hubFetch: HubFetch = (url, init) => fetch(url, init);
