/**
 * Shared pieces of the browser tests: console-error collection, tiny checkpoint families written
 * to disk with the core's synthetic writer, a folder picker that hands out OPFS folders, and
 * reading those folders back into Node.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import { openCheckpoint, type Checkpoint } from '../src/core/checkpoint/checkpoint.ts';
import { TINY_QWEN2, writeFamilyMember, type FamilyMember, type Qwen2Shape } from '../src/core/checkpoint/synthetic.ts';
import type { FloatDtype } from '../src/core/dtype.ts';
import { MemoryFolder } from '../src/core/io/bytes.ts';

/** Console errors and page errors, collected from the start. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return errors;
}

export interface MemberOptions {
  readonly shape?: Qwen2Shape;
  readonly dtype?: FloatDtype;
  readonly shardSize?: number;
  /** The synthetic family's seed (the demo's is 1) and whether to write its byte-level tokenizer. */
  readonly seed?: number;
  readonly tokenizer?: boolean;
}

/** One family member in memory (what the tests compare against). */
export async function familyMember(member: FamilyMember, options: MemberOptions = {}): Promise<MemoryFolder> {
  const folder = new MemoryFolder(member);
  await writeFamilyMember({
    shape: options.shape ?? TINY_QWEN2, dtype: options.dtype ?? 'BF16', member, out: folder,
    ...(options.shardSize ? { shardSize: options.shardSize } : {}), ...(options.seed === undefined ? {} : { seed: options.seed }), ...(options.tokenizer ? { tokenizer: true } : {}),
  });
  return folder;
}

/** Writes a family member as a folder under the test's output directory; returns its path. */
export async function writeMemberFolder(testInfo: TestInfo, name: string, member: FamilyMember, options: MemberOptions = {}): Promise<string> {
  const dir = testInfo.outputPath(name);
  await mkdir(dir, { recursive: true });
  const folder = await familyMember(member, options);
  for (const [file, bytes] of folder.files) await writeFile(join(dir, file), bytes);
  return dir;
}

/**
 * `showDirectoryPicker` returns OPFS folders: `picked-1`, `picked-2`… (created empty), or the one
 * named by `pickNext`, so that opening and saving run through the real File System Access paths
 * without a dialog.
 */
export async function mockFolderPicker(page: Page): Promise<void> {
  await page.addInitScript(() => {
    let n = 0;
    const w = window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle>; rvsPickNext?: string };
    w.showDirectoryPicker = async () => {
      const root = await navigator.storage.getDirectory();
      const name = w.rvsPickNext ?? `picked-${++n}`;
      delete w.rvsPickNext;
      return root.getDirectoryHandle(name, { create: true });
    };
  });
}

/** The next folder the mocked picker returns. */
export async function pickNext(page: Page, name: string): Promise<void> {
  await page.evaluate((n) => void ((window as unknown as { rvsPickNext?: string }).rvsPickNext = n), name);
}

/** Every entry of an OPFS folder (`a/b` for a subfolder; hidden ones too): files with their bytes, folders by name. */
export async function readOpfsFolder(page: Page, name: string): Promise<{ files: Map<string, Uint8Array>; folders: string[] }> {
  const listed = await page.evaluate(async (folderName) => {
    let dir = await navigator.storage.getDirectory();
    for (const part of folderName.split('/')) dir = await dir.getDirectoryHandle(part);
    const files: [string, string][] = [];
    const folders: string[] = [];
    for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (entry.kind === 'directory') {
        folders.push(entry.name);
        continue;
      }
      const bytes = new Uint8Array(await (await (entry as FileSystemFileHandle).getFile()).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      files.push([entry.name, btoa(binary)]);
    }
    return { files, folders };
  }, name);
  return { files: new Map(listed.files.map(([n, b64]) => [n, new Uint8Array(Buffer.from(b64, 'base64'))])), folders: listed.folders.sort() };
}

/** The files as a checkpoint (validates headers, offsets and the index). */
export async function asCheckpoint(name: string, files: Map<string, Uint8Array>): Promise<Checkpoint> {
  const folder = new MemoryFolder(name);
  for (const [file, bytes] of files) folder.files.set(file, bytes);
  return openCheckpoint(folder);
}

export function slot(page: Page, name: 'SFT checkpoint' | 'GRPO checkpoint' | 'Target checkpoint' | 'Reasoning vector'): Locator {
  return page.getByRole('group', { name, exact: true });
}

export type PanelName = 'Checkpoints' | 'Compatibility' | 'Vector' | 'Merge' | 'Try it' | 'Evaluate' | 'Runs' | 'Report' | 'GPU memory';

export function panel(page: Page, name: PanelName): Locator {
  return page.getByRole('region', { name, exact: true });
}

/** A screenshot of `locator`, kept as a test artifact. */
export async function keepScreenshot(testInfo: TestInfo, locator: Locator, name: string): Promise<void> {
  const body = await locator.screenshot({ path: testInfo.outputPath(`${name}.png`), animations: 'disabled' });
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

export async function expectNoErrors(errors: string[]): Promise<void> {
  expect(errors, 'console errors and page errors').toEqual([]);
}

/** Opens the studio and loads the demo (checkpoints, data, settings) for an evaluation. */
export async function loadDemo(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('webgpu-status')).toHaveAttribute('data-state', 'available');
  await page.getByRole('button', { name: 'Try the demo' }).click();
  await expect(page.getByTestId('compat-status')).toHaveAttribute('data-state', 'ok');
  await expect(panel(page, 'Evaluate').getByTestId('data-sciq')).toContainText('3 items');
}

/** Only these benchmarks chosen (by their labels in the Evaluate panel). */
export async function chooseBenchmarks(page: Page, labels: readonly string[]): Promise<void> {
  const rows = panel(page, 'Evaluate').getByRole('table', { name: 'Benchmarks' }).getByRole('checkbox');
  for (const box of await rows.all()) {
    const name = (await box.evaluate((el) => el.parentElement?.textContent ?? '')).trim();
    await box.setChecked(labels.includes(name));
  }
}
