/**
 * "Load from Hugging Face" against a local stand-in for the Hub (node:http on 127.0.0.1, CORS as
 * the Hub sends it), pointed at with `?hub=`: download into OPFS, open in a slot, open again from
 * the cache (no second download; no network at all when the Hub is unreachable), resume after a
 * cut transfer, the paper preset.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page } from '@playwright/test';
import { collectErrors, expectNoErrors, familyMember, keepScreenshot, slot } from './helpers.ts';

const REPO = 'test-org/tiny-qwen2';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, range',
  'access-control-expose-headers': 'content-range, content-length, accept-ranges, x-error-code',
};

interface FakeHub {
  readonly url: string;
  readonly requests: { path: string; range: string | undefined }[];
  /** Destroy every connection (the Hub unreachable); the attempt is still recorded. */
  offline: boolean;
  /** Send this many bytes of the named file, then cut the connection (once). */
  readonly cutOnce: Map<string, number>;
  close(): Promise<void>;
}

async function startHub(files: Map<string, Uint8Array>): Promise<FakeHub> {
  const hub = { requests: [] as FakeHub['requests'], offline: false, cutOnce: new Map<string, number>() };
  const listing = JSON.stringify({
    id: REPO,
    sha: SHA,
    siblings: [...files].map(([rfilename, b]) => ({ rfilename, size: b.byteLength })),
  });
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (req.method !== 'OPTIONS') hub.requests.push({ path, range: req.headers.range });
    if (hub.offline) return void req.socket.destroy();
    if (req.method === 'OPTIONS') return void res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET' }).end();
    if (path === `/api/models/${REPO}/revision/main`) return void res.writeHead(200, { ...CORS, 'content-type': 'application/json' }).end(listing);
    const file = path.startsWith(`/${REPO}/resolve/${SHA}/`) ? path.slice(`/${REPO}/resolve/${SHA}/`.length) : null;
    const bytes = file === null ? undefined : files.get(file);
    if (!bytes) return void res.writeHead(404, { ...CORS, 'x-error-code': 'EntryNotFound' }).end('Entry not found');
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const body = Buffer.from(bytes.subarray(start));
    const headers = { ...CORS, 'content-length': String(body.length), 'accept-ranges': 'bytes' };
    res.writeHead(start > 0 ? 206 : 200, start > 0 ? { ...headers, 'content-range': `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}` } : headers);
    const cut = hub.cutOnce.get(file!);
    if (cut === undefined) return void res.end(body);
    hub.cutOnce.delete(file!);
    res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 50));
  };
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(hub, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}

/** The files of an OPFS folder given by path, as base64. */
async function opfsFiles(page: Page, path: string[]): Promise<Map<string, Buffer>> {
  const listed = await page.evaluate(async (parts) => {
    let dir = await navigator.storage.getDirectory();
    for (const p of parts) dir = await dir.getDirectoryHandle(p);
    const out: [string, string][] = [];
    for await (const entry of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      if (entry.kind !== 'file') continue;
      const bytes = new Uint8Array(await (await (entry as FileSystemFileHandle).getFile()).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      out.push([entry.name, btoa(binary)]);
    }
    return out;
  }, path);
  return new Map(listed.map(([name, b64]) => [name, Buffer.from(b64, 'base64')]));
}

async function repoFiles(): Promise<Map<string, Uint8Array>> {
  const files = new Map((await familyMember('sft')).files);
  files.set('README.md', new TextEncoder().encode('# tiny qwen2\n')); // listed, never fetched
  return files;
}

const hubPanel = (page: Page) => page.getByRole('region', { name: 'Load from Hugging Face' });
const weightRequests = (hub: FakeHub) => hub.requests.filter((r) => r.path.includes('/resolve/'));

test('downloads a model from the Hub into OPFS, opens it in a slot, and again from the cache', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const files = await repoFiles();
  const hub = await startHub(files);
  try {
    await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
    const panel = hubPanel(page);
    await panel.getByLabel('SFT repo id').fill(REPO);
    await panel.getByRole('button', { name: 'Download', exact: true }).click();

    const sft = slot(page, 'SFT checkpoint');
    await expect(sft.getByText('tiny-qwen2@main', { exact: true })).toBeVisible();
    await expect(sft.locator('dt', { hasText: 'Architecture' }).locator('+ dd')).toContainText('Qwen2ForCausalLM');
    await expect(panel.getByRole('status')).toHaveText(/^test-org\/tiny-qwen2: [\d.]+ KB downloaded\.$/);
    expect(weightRequests(hub).map((r) => r.path).sort()).toEqual([`/${REPO}/resolve/${SHA}/config.json`, `/${REPO}/resolve/${SHA}/model.safetensors`]);

    // The cache holds exactly the checkpoint's files, byte for byte.
    const cached = await opfsFiles(page, ['hub', 'test-org', 'tiny-qwen2@main']);
    expect([...cached.keys()].sort()).toEqual(['config.json', 'model.safetensors']);
    for (const [name, bytes] of cached) expect(Buffer.compare(bytes, Buffer.from(files.get(name)!)), name).toBe(0);
    const table = panel.getByRole('table', { name: 'Cached models' });
    await expect(table.getByRole('row', { name: /test-org\/tiny-qwen2@main/ })).toContainText('complete');
    await keepScreenshot(testInfo, panel, 'hub-panel');

    // After a reload: Download lists the repository again but fetches no file.
    await page.reload();
    hub.requests.length = 0;
    await hubPanel(page).getByLabel('GRPO repo id').fill(REPO);
    await hubPanel(page).getByRole('button', { name: 'Download', exact: true }).click();
    await expect(slot(page, 'GRPO checkpoint')).toContainText('Qwen2ForCausalLM');
    await expect(hubPanel(page).getByRole('status')).toHaveText('test-org/tiny-qwen2: already cached.');
    expect(hub.requests.map((r) => r.path)).toEqual([`/api/models/${REPO}/revision/main`]);
    await expectNoErrors(errors);

    // The Hub unreachable: the cached copy opens from the list, without a single request.
    hub.offline = true;
    await page.reload();
    hub.requests.length = 0;
    await hubPanel(page).getByRole('button', { name: `Open ${REPO}@main in Target checkpoint` }).click();
    const target = slot(page, 'Target checkpoint');
    await expect(target.getByText('tiny-qwen2@main', { exact: true })).toBeVisible();
    await expect(target).toContainText('Qwen2ForCausalLM');
    expect(hub.requests).toEqual([]);

    // Download with the Hub unreachable: the listing fails, the complete cached copy opens.
    await hubPanel(page).getByLabel('SFT repo id').fill(REPO);
    await hubPanel(page).getByRole('button', { name: 'Download', exact: true }).click();
    await expect(hubPanel(page).getByRole('status')).toHaveText('test-org/tiny-qwen2: the Hub could not be reached; opened the cached copy.');
    await expect(slot(page, 'SFT checkpoint')).toContainText('Qwen2ForCausalLM');
    // (Chromium may retry a GET whose connection was reset.)
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.requests.every((r) => r.path === `/api/models/${REPO}/revision/main`)).toBe(true);
  } finally {
    await hub.close();
  }
});

test('a cut transfer resumes from the bytes that arrived; a cached model can be deleted', async ({ page }) => {
  const files = await repoFiles();
  const hub = await startHub(files);
  try {
    await page.goto(`/?hub=${encodeURIComponent(hub.url)}`);
    const panel = hubPanel(page);
    hub.cutOnce.set('model.safetensors', 6000);
    await panel.getByLabel('Target repo id').fill(REPO);
    await panel.getByRole('button', { name: 'Download', exact: true }).click();
    await expect(panel.getByRole('alert')).toContainText('download again to resume');
    await expect(panel.getByRole('table', { name: 'Cached models' }).getByRole('row', { name: /tiny-qwen2@main/ })).toContainText('incomplete');

    hub.requests.length = 0;
    await panel.getByRole('button', { name: 'Download', exact: true }).click();
    await expect(slot(page, 'Target checkpoint')).toContainText('Qwen2ForCausalLM');
    const ranged = weightRequests(hub).filter((r) => r.range !== undefined);
    expect(ranged.map((r) => r.path)).toEqual([`/${REPO}/resolve/${SHA}/model.safetensors`]);
    const from = Number(/^bytes=(\d+)-$/.exec(ranged[0]!.range!)![1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(6000);
    const cached = await opfsFiles(page, ['hub', 'test-org', 'tiny-qwen2@main']);
    expect(Buffer.compare(cached.get('model.safetensors')!, Buffer.from(files.get('model.safetensors')!))).toBe(0);
    expect([...cached.keys()].sort()).toEqual(['config.json', 'model.safetensors']);

    // In use by a slot it cannot be deleted; cleared, it can.
    const del = panel.getByRole('button', { name: `Delete ${REPO}@main` });
    await expect(del).toBeDisabled();
    await slot(page, 'Target checkpoint').getByRole('button', { name: 'Clear' }).click();
    await del.click();
    await expect(panel.getByRole('table', { name: 'Cached models' })).toHaveCount(0);
    expect(await page.evaluate(async () => (await (await navigator.storage.getDirectory()).getDirectoryHandle('hub')).name)).toBe('hub');
    await expect(opfsFiles(page, ['hub', 'test-org'])).rejects.toThrow();
  } finally {
    await hub.close();
  }
});

test('the paper preset fills the three repo ids, which stay editable', async ({ page }) => {
  await page.goto('/');
  const panel = hubPanel(page);
  await panel.getByRole('button', { name: 'Paper preset (Qwen2.5-Math-1.5B GSM8K)' }).click();
  await expect(panel.getByLabel('SFT repo id')).toHaveValue('michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-SFT');
  await expect(panel.getByLabel('GRPO repo id')).toHaveValue('michaelbzhu/Qwen2.5-Math-1.5B-GSM8K-GRPO');
  await expect(panel.getByLabel('Target repo id')).toHaveValue('Qwen/Qwen2.5-Math-1.5B');
  await expect(panel.getByLabel('SFT revision')).toHaveValue('main');
  await panel.getByLabel('Target revision').fill('v1.0');
  await expect(panel.getByLabel('Target revision')).toHaveValue('v1.0');
  await panel.getByLabel('SFT repo id').fill('not a repo id');
  await panel.getByRole('button', { name: 'Download', exact: true }).click();
  await expect(panel.getByRole('alert')).toHaveText('"not a repo id" is not a Hugging Face repo id (owner/name)');
});
