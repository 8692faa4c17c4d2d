/**
 * Where the studio serves the runtime files it loads by URL: onnxruntime-web's WebAssembly and
 * Pyodide (the HumanEval sandbox). vite.config.ts's `vendorFiles` plugin serves them under
 * `vendor/` in development and copies them there in a build, so both work the same way.
 */

/** A folder under the app's base URL, absolute (workers resolve it against their own URL). */
function vendorUrl(folder: string): string {
  const base = import.meta.env.BASE_URL ?? '/';
  return new URL(`${base.endsWith('/') ? base : `${base}/`}vendor/${folder}/`, self.location.href).href;
}

/** onnxruntime-web's `env.wasm.wasmPaths`. */
export const ORT_WASM_URL = (): string => vendorUrl('ort');

/** Pyodide's `indexURL`. */
export const PYODIDE_URL = (): string => vendorUrl('pyodide');
