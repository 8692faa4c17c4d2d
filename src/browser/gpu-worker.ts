/**
 * The GPU worker: owns the GPUDevice and runs every heavy job of the studio. A thin adapter: the
 * engine (engine.ts) is exposed through comlink (wire.ts).
 */
import { Engine } from './engine.ts';
import { getDevice } from './gpu-device.ts';
import { MERGE_SHADERS } from './shaders.ts';
import { exposeEngine } from './wire.ts';

exposeEngine(new Engine({ getDevice, shaders: MERGE_SHADERS }));
