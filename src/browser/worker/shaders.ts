/** The merge kernel's WGSL, bundled as text by Vite. */
import type { WgslSources } from '../../core/gpu/merge-webgpu.ts';
import dtype from '../../../shaders/dtype.wgsl?raw';
import merge from '../../../shaders/merge.wgsl?raw';

export const MERGE_SHADERS: WgslSources = { merge, dtype };
