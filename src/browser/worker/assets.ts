/**
 * Where the studio serves the runtime files it loads by URL: onnxruntime-web's WebAssembly and
 * Pyodide (the HumanEval sandbox). vite.config.ts's `vendorFiles` plugin serves them under
 * `vendor/` in development and copies them there in a build, so both work the same way.
 */

/** A folder under the app's base URL, absolute (workers resolve it against their own URL). */
function appUrl(folder: string): string {
  const base = import.meta.env.BASE_URL ?? '/';
  return new URL(`${base.endsWith('/') ? base : `${base}/`}${folder}/`, self.location.href).href;
}

const vendorUrl = (folder: string): string => appUrl(`vendor/${folder}`);

/** The demo family's files (public/demo/, scripts/train-demo.py), from the app's own server. */
export const fetchDemoFile = async (path: string): Promise<Uint8Array> => {
  const response = await fetch(new URL(path, appUrl('demo')));
  if (!response.ok) throw new Error(`demo/${path}: the server answered ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
};

/** onnxruntime-web's `env.wasm.wasmPaths`. */
export const ORT_WASM_URL = (): string => vendorUrl('ort');

/** Pyodide's `indexURL`. */
export const PYODIDE_URL = (): string => vendorUrl('pyodide');
