/**
 * Benchmark data "From Hugging Face" against a local stand-in for the Hub (node:http on 127.0.0.1,
 * CORS as the Hub sends it), pointed at with `?hub=`: a gsm8k-layout dataset served as the Hub's
 * Parquet conversion (listing JSON + shards written here from the format specification) is fetched
 * into OPFS and loaded; after a reload it loads again without a request; a 404 is one line; a
 * transfer can be cancelled.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { writeParquet } from '../src/core/testing/parquet-writer.ts';
import { collectErrors, expectNoErrors, keepScreenshot, panel } from './helpers.ts';

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range',
  'access-control-expose-headers': 'content-range, content-length, accept-ranges, x-error-code',
};

/** Items in openai/gsm8k's layout, written for this test. */
const SPLITS = {
  test: {
    question: ['Tom has 3 apples and buys 4 more. How many apples does he have?', 'A box holds 6 pens. How many pens are in 2 boxes?', 'Ann reads 10 pages a day. How many pages does she read in 3 days?'],
    answer: ['Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7', '2 * 6 = <<2*6=12>>12 pens.\n#### 12', '10 * 3 = <<10*3=30>>30 pages.\n#### 30'],
  },
  train: {
    question: ['Sam has 5 coins and loses 2. How many are left?', 'A cat has 4 legs. How many legs do 2 cats have?'],
    answer: ['5 - 2 = <<5-2=3>>3 coins.\n#### 3', '2 * 4 = <<2*4=8>>8 legs.\n#### 8'],
  },
};
const LISTING = '/api/datasets/openai/gsm8k/parquet/main';

interface FakeHub {
  readonly url: string;
  readonly requests: string[];
  readonly shards: Map<string, Uint8Array>;
  /** Send the headers and part of each shard, then hold the connection open. */
  stall: boolean;
  close(): Promise<void>;
}

async function startHub(): Promise<FakeHub> {
  const shards = new Map(Object.entries(SPLITS).map(([split, columns]) => [`${LISTING}/${split}/0.parquet`, writeParquet(columns, 'SNAPPY')]));
  const hub = { requests: [] as string[], shards, stall: false, url: '' };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'OPTIONS') return void res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET' }).end();
    hub.requests.push(path);
    const split = path.startsWith(`${LISTING}/`) ? path.slice(LISTING.length + 1) : null;
    if (split !== null && split in SPLITS) {
      return void res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify([`${hub.url}${LISTING}/${split}/0.parquet`]));
    }
    const bytes = shards.get(path);
    if (!bytes) return void res.writeHead(404, { ...CORS, 'x-error-code': 'RepoNotFound' }).end('Repository not found');
    res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) });
    if (hub.stall) return void res.write(Buffer.from(bytes.subarray(0, bytes.byteLength >> 1)));
    res.end(Buffer.from(bytes));
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(hub, {
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

/** The files of an OPFS folder given by path, with their bytes; null when the folder is missing. */
async function opfsFiles(page: Page, path: readonly string[]): Promise<Map<string, Buffer> | null> {
  const listed = await page.evaluate(async (parts) => {
    let dir = await navigator.storage.getDirectory();
    try {
      for (const p of parts) dir = await dir.getDirectoryHandle(p);
    } catch {
      return null;
    }
    const out: [string, number[]][] = [];
    for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (entry.kind === 'file') out.push([entry.name, [...new Uint8Array(await (await (entry as FileSystemFileHandle).getFile()).arrayBuffer())]]);
    }
    return out;
  }, path);
  return listed && new Map(listed.map(([name, bytes]) => [name, Buffer.from(bytes)]));
}

const row = (page: Page, id: string) => panel(page, 'Evaluate').locator(`tr[data-benchmark="${id}"]`);

test('GSM8K from Hugging Face: fetched into OPFS, loaded, and after a reload loaded again from the cache without a request', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const hub = await startHub();
  try {
    await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
    const evaluate = panel(page, 'Evaluate');
    await evaluate.getByRole('button', { name: 'GSM8K (5-shot) from Hugging Face' }).click();

    // 5-shot from train: both splits, as the Hub's Parquet conversion lists them.
    const summary = `3 items from openai/gsm8k/main/test/0.parquet · few-shot: openai/gsm8k/main/train/0.parquet`;
    await expect(evaluate.getByTestId('data-gsm8k')).toHaveText(summary);
    await expect(evaluate.getByRole('checkbox', { name: 'GSM8K (5-shot)' })).toBeChecked();
    await expect(row(page, 'gsm8k').getByRole('status')).toHaveText(/^openai\/gsm8k \(main: test and train\): [\d.]+ KB fetched from Hugging Face\.$/);
    expect(hub.requests).toEqual([`${LISTING}/test`, `${LISTING}/test/0.parquet`, `${LISTING}/train`, `${LISTING}/train/0.parquet`]);

    // The cache holds the listing and the shard of each split, byte for byte.
    for (const split of ['test', 'train']) {
      const files = await opfsFiles(page, ['hub-datasets', 'openai', 'gsm8k', 'main', split]);
      expect([...files!.keys()].sort()).toEqual(['0.parquet', 'parquet-files.json']);
      expect(Buffer.compare(files!.get('0.parquet')!, Buffer.from(hub.shards.get(`${LISTING}/${split}/0.parquet`)!))).toBe(0);
      expect(JSON.parse(files!.get('parquet-files.json')!.toString('utf8'))).toEqual([`${hub.url}${LISTING}/${split}/0.parquet`]);
    }
    await keepScreenshot(testInfo, evaluate.getByRole('table', { name: 'Benchmarks' }), 'hub-datasets');

    // After a reload the data is gone from the page, and comes back from OPFS alone.
    await page.reload();
    hub.requests.length = 0;
    await expect(page.getByTestId('data-gsm8k')).toHaveCount(0);
    await panel(page, 'Evaluate').getByRole('button', { name: 'GSM8K (5-shot) from Hugging Face' }).click();
    await expect(panel(page, 'Evaluate').getByTestId('data-gsm8k')).toHaveText(summary);
    await expect(row(page, 'gsm8k').getByRole('status')).toHaveText('openai/gsm8k (main: test and train): from this browser’s cache.');
    // The chain-of-thought variant has its examples built in: the test split only, also cached.
    await panel(page, 'Evaluate').getByRole('button', { name: 'GSM8K chain of thought (8 fixed examples) from Hugging Face' }).click();
    await expect(panel(page, 'Evaluate').getByTestId('data-gsm8k_cot')).toHaveText('3 items from openai/gsm8k/main/test/0.parquet');
    expect(hub.requests).toEqual([]);
    await expectNoErrors(errors);
  } finally {
    await hub.close();
  }
});

test('a dataset the Hub does not have is one line of error; BIG-Bench Hard takes files only', async ({ page }) => {
  const hub = await startHub();
  try {
    await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
    const evaluate = panel(page, 'Evaluate');
    await evaluate.getByRole('button', { name: 'SciQ (multiple choice) from Hugging Face' }).click();
    const alert = row(page, 'sciq').getByRole('alert');
    await expect(alert).toHaveText(`allenai/sciq: parquet listing default/test not found (404 Not Found, RepoNotFound; ${hub.url}/api/datasets/allenai/sciq/parquet/default/test)`);
    expect(await alert.innerText()).not.toContain('\n');
    await expect(evaluate.getByTestId('data-sciq')).toHaveCount(0);
    expect(hub.requests).toEqual(['/api/datasets/allenai/sciq/parquet/default/test']);
    expect(await opfsFiles(page, ['hub-datasets', 'allenai'])).toBeNull();

    const bbh = row(page, 'bbh_cot_fewshot');
    await expect(bbh.getByRole('button', { name: /from Hugging Face/ })).toHaveCount(0);
    await expect(bbh).toContainText('Files only: no Hub dataset holds BIG-Bench Hard with its cot-prompts in this layout.');
  } finally {
    await hub.close();
  }
});

test('a transfer in progress shows its bytes and can be cancelled; nothing partial is cached', async ({ page }) => {
  const errors = collectErrors(page);
  const hub = await startHub();
  try {
    hub.stall = true;
    await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
    const evaluate = panel(page, 'Evaluate');
    await evaluate.getByRole('button', { name: 'GSM8K chain of thought (8 fixed examples) from Hugging Face' }).click();
    const gsm = row(page, 'gsm8k_cot');
    const size = hub.shards.get(`${LISTING}/test/0.parquet`)!.byteLength;
    await expect(gsm.getByRole('status')).toHaveText(new RegExp(`^openai/gsm8k · main/test/0\\.parquet · ${size >> 1} B of ${size} B$`));
    await expect(gsm.getByRole('button', { name: 'GSM8K chain of thought (8 fixed examples) from Hugging Face' })).toBeDisabled();
    await gsm.getByRole('button', { name: 'Cancel fetching GSM8K chain of thought (8 fixed examples)' }).click();
    await expect(gsm.getByRole('status')).toHaveText('Cancelled — nothing was loaded.');
    await expect(evaluate.getByTestId('data-gsm8k_cot')).toHaveCount(0);
    const cached = await opfsFiles(page, ['hub-datasets', 'openai', 'gsm8k', 'main', 'test']);
    expect([...cached!.keys()]).toEqual(['parquet-files.json']);

    hub.stall = false;
    hub.requests.length = 0;
    await gsm.getByRole('button', { name: 'GSM8K chain of thought (8 fixed examples) from Hugging Face' }).click();
    await expect(evaluate.getByTestId('data-gsm8k_cot')).toHaveText('3 items from openai/gsm8k/main/test/0.parquet');
    expect(hub.requests).toEqual([`${LISTING}/test/0.parquet`]);
    await expectNoErrors(errors);
  } finally {
    await hub.close();
  }
});
