/**
 * The demo family's files (public/demo/, written by scripts/train-demo.py) read from disk, for
 * Node tests and tools: the studio fetches the same files from its server.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { DemoFileReader } from '../browser/worker/demo.ts';

export const DEMO_DIR = fileURLToPath(new URL('../../public/demo/', import.meta.url));

export const readDemoFile: DemoFileReader = async (path) => new Uint8Array(await readFile(`${DEMO_DIR}${path}`));
