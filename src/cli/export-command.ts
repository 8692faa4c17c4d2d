/** `rvs export`: a report's recipe as mergekit YAML, or its runs as lm-evaluation-harness commands. */
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { lmEvalCommands, MERGEKIT_EXPORT_METHODS, mergekitStream, mergekitYaml, type MergekitMethod } from '../core/report/export.ts';
import { parseReport } from '../core/report/schema.ts';
import { UsageError } from './errors.ts';
import { printable } from './text.ts';
import { writeFileAtomic } from './score.ts';

const fraction = (name: string) => (t: string) => {
  const x = Number(t);
  if (t.trim() === '' || !(x >= 0 && x <= 1)) throw new UsageError(`${name}: expected a number from 0 to 1`);
  return x;
};

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("a report's experiment for a cluster: mergekit YAML (one document per α) or lm_eval command lines")
    .requiredOption('--report <file>', 'an rvs-report/1 JSON file')
    .addOption(new Option('--format <format>', 'what to write').choices(['mergekit', 'lm-eval']).makeOptionMandatory())
    .addOption(new Option('--method <method>', 'mergekit merge method').choices([...MERGEKIT_EXPORT_METHODS]).default('linear'))
    .option('--density <d>', 'ties, dare_*, breadcrumbs: fraction of each delta kept (default 1)', fraction('--density'))
    .option('--gamma <g>', 'breadcrumbs: fraction of the largest magnitudes dropped (default 0.01)', fraction('--gamma'))
    .option('--alpha <alpha>', 'only this α (mergekit)', (t) => {
      const x = Number(t);
      if (t.trim() === '' || !Number.isFinite(x)) throw new UsageError('--alpha: not a finite number');
      return x;
    })
    .option('--out <file>', 'write here (atomically) instead of stdout')
    .action(async (opts: { report: string; format: 'mergekit' | 'lm-eval'; method: MergekitMethod; alpha?: number; out?: string; density?: number; gamma?: number }) => {
      let text: string;
      try {
        text = await readFile(opts.report, 'utf8');
      } catch (e) {
        throw new UsageError(`${opts.report}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const report = parseReport(text, opts.report);
      if (report.status !== 'complete') {
        process.stderr.write(`rvs: note: ${printable(opts.report)} is a ${report.status} report; its unfinished runs are exported as they were set up\n`);
      }
      let out: string;
      if (opts.format === 'lm-eval') out = lmEvalCommands(report);
      else {
        const sparse = { ...(opts.density === undefined ? {} : { density: opts.density }), ...(opts.gamma === undefined ? {} : { gamma: opts.gamma }) };
        out = opts.alpha === undefined ? mergekitStream(report, opts.method, sparse) : mergekitYaml(report, opts.alpha, opts.method, sparse);
      }
      if (opts.out) await writeFileAtomic(opts.out, out);
      else process.stdout.write(out);
    });
}
