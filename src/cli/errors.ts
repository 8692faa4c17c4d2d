/** Which failures are the user's input (exit 2) rather than ours or the machine's (exit 1). */
import { CheckpointError } from '../core/checkpoint/checkpoint.ts';
import { EvalError } from '../core/eval/errors.ts';
import { MergekitConfigError } from '../core/merge/mergekit-config.ts';
import { MergeError } from '../core/merge/plan.ts';
import { RecipeError } from '../core/merge/recipe.ts';
import { ExportReportError } from '../core/report/export.ts';
import { ReportError } from '../core/report/schema.ts';
import { SafetensorsError } from '../core/safetensors/errors.ts';
import { ModelConfigError } from '../core/model/config.ts';
import { ModelRunError } from '../core/model/onnx-lm.ts';
import { OnnxGraphError } from '../core/model/onnx-ops.ts';
import { TextError } from '../core/text/errors.ts';
import { BackendError } from '../node/backend.ts';
import { FsError } from '../node/fs-folder.ts';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'USAGE';
}

export function isUserError(e: unknown): boolean {
  if (e instanceof SafetensorsError) return e.code !== 'READ_FAILED';
  if (e instanceof MergeError) return e.code !== 'CANCELLED';
  if (e instanceof ModelRunError) return e.code !== 'CANCELLED';
  if (e instanceof EvalError) return e.code !== 'CANCELLED';
  if (e instanceof ModelConfigError || e instanceof OnnxGraphError || e instanceof TextError) return true;
  return e instanceof CheckpointError || e instanceof RecipeError || e instanceof MergekitConfigError || e instanceof FsError || e instanceof UsageError || e instanceof BackendError || e instanceof EvalError || e instanceof ReportError || e instanceof ExportReportError;
}
