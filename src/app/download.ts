/**
 * Files the page hands to the user (reports, CSV, chart images): a Blob URL clicked as a download
 * and revoked once the download has started. Nothing leaves the machine.
 */
import type { Report } from '../core/report/schema.ts';
import { reportStatus } from './store/scores.ts';

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from report text (a name from a file is untrusted: letters, digits, - and _ only). */
export function fileStem(name: string): string {
  const stem = name.replace(/\.json$/i, '').replace(/[^\p{L}\p{N}_-]+/gu, '-').replace(/^-+|-+$/g, '');
  return stem.slice(0, 80) || 'report';
}

/** The report as `rvs-report/1` JSON, its status written out (`complete` where it had none). */
export function reportJson(report: Report): string {
  return `${JSON.stringify({ ...report, status: reportStatus(report) }, null, 2)}\n`;
}

/** Downloads the report as JSON, named after `name` (a run's) or its creation time. */
export function downloadReport(report: Report, name?: string): void {
  const file = name === undefined ? `rvs-report-${report.createdAt.replace(/[:.]/g, '-')}` : fileStem(name);
  downloadBlob(new Blob([reportJson(report)], { type: 'application/json' }), `${file}.json`);
}
