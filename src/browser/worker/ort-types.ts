/** The onnxruntime-web module's type (the worker loads its WebGPU build, Node tests its Node build: one API). */
import type * as OrtWeb from 'onnxruntime-web';

export type OrtModule = typeof OrtWeb;
