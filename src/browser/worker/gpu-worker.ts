/**
 * The GPU worker: owns the GPUDevice (onnxruntime-web's) and runs every heavy job of the studio.
 * A thin adapter: the engine (engine.ts) is exposed through comlink (wire.ts).
 */
import { version } from '../../../package.json';
import { fetchDemoFile, PYODIDE_URL } from './assets.ts';
import { Engine } from './engine.ts';
import { getDevice } from './gpu-device.ts';
import { loadOrt } from './ort.ts';
import { createBrowserSandbox } from './sandbox.ts';
import { opfsScratch } from './scratch.ts';
import { MERGE_SHADERS } from './shaders.ts';
import { exposeEngine } from '../shared/wire.ts';

exposeEngine(
  new Engine({
    getDevice,
    shaders: MERGE_SHADERS,
    loadOrt,
    sandbox: async () => createBrowserSandbox({ indexURL: PYODIDE_URL() }),
    scratch: opfsScratch,
    app: { name: 'Reasoning Vector Studio', version },
    demoFiles: fetchDemoFile,
  }),
);
