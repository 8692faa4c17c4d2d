/**
 * onnxruntime-web in the GPU worker: the WebGPU build (it runs the `wasm` execution provider too,
 * for the fallback), loaded once, with its WebAssembly served by the app and one thread (threads
 * would need a cross-origin-isolated page).
 */
import { ORT_WASM_URL } from './assets.ts';
import type { OrtModule } from './ort-types.ts';

let loading: Promise<OrtModule> | null = null;

export function loadOrt(): Promise<OrtModule> {
  loading ??= import('onnxruntime-web/webgpu').then((ort) => {
    // A build emits the WebAssembly beside the bundle (found through import.meta.url); the dev
    // server pre-bundles onnxruntime-web elsewhere, so there it comes from the vendor folder.
    if (import.meta.env.DEV) ort.env.wasm.wasmPaths = ORT_WASM_URL();
    ort.env.wasm.numThreads = 1;
    // onnxruntime's warnings (e.g. shape ops placed on the CPU) go to console.error: keep errors only.
    ort.env.logLevel = 'error';
    return ort as unknown as OrtModule;
  });
  return loading;
}
