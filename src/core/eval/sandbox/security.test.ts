// What model-written code must not reach from the Node sandbox: the network (a local HTTP server
// counts every connection it gets) and the host's files (a canary file, the host's root folder).
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeSandbox } from '../../../node/sandbox-node.ts';
import type { BatchSandbox, RunResult } from './types.ts';

let sandbox: BatchSandbox;
let server: Server;
let port: number;
let connections = 0;
let requests = 0;
let canaryDir: string;

const run = (program: string): Promise<RunResult> => sandbox.run(program, { timeoutMs: 10_000 });

/** Python that finds the JavaScript Function constructor the way an escape would. */
const REACH_JS = [
  'import sys',
  'sys.meta_path.pop(0)  # drop the import blocker',
  'import _pyodide_core',
  'Function = _pyodide_core.to_js([]).constructor.constructor',
].join('\n');

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.end('reached');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  canaryDir = mkdtempSync(join(tmpdir(), 'rvs-sandbox-canary-'));
  writeFileSync(join(canaryDir, 'secret.txt'), 'host secret');
  process.env['RVS_SANDBOX_CANARY'] = 'canary-value'; // set before the workers start
  sandbox = await createNodeSandbox();
  await run('pass');
}, 120_000);

afterAll(async () => {
  await sandbox?.dispose();
  delete process.env['RVS_SANDBOX_CANARY'];
  await new Promise((resolve) => server?.close(resolve));
  if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
});

describe('Node sandbox: no network', () => {
  it('every route to 127.0.0.1 fails and the server sees no connection', async () => {
    const url = `http://127.0.0.1:${port}/`;
    const attempts: Array<[string, RegExp]> = [
      [`import js\njs.fetch("${url}js")`, /ModuleNotFoundError: No module named 'js'/],
      [`from pyodide.http import pyfetch`, /ModuleNotFoundError: No module named 'pyodide/],
      [`import pyodide_js`, /ModuleNotFoundError/],
      [`import micropip`, /ModuleNotFoundError/],
      [`import urllib.request\nurllib.request.urlopen("${url}urllib", timeout=2)`, /URLError/],
      [`import http.client\nc = http.client.HTTPConnection("127.0.0.1", ${port}, timeout=2)\nc.request("GET", "/http")\nc.getresponse()`, /Error/],
      [`import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=2)`, /PermissionError/],
      [`import socket\ns = socket.socket()\ns.connect(("127.0.0.1", ${port}))\ns.send(b"GET / HTTP/1.0\\r\\n\\r\\n")`, /PermissionError/],
      [`${REACH_JS}\nFunction("return fetch('${url}function')")()`, /code generation from strings is disabled|Error/],
      [`import ctypes`, /ModuleNotFoundError/],
    ];
    for (const [program, error] of attempts) {
      const result = await run(program);
      expect(result.status, program).toBe('failed');
      expect(result.detail, program).toMatch(error);
    }
    await new Promise((r) => setTimeout(r, 500)); // anything in flight would land by now
    expect(connections).toBe(0);
    expect(requests).toBe(0);
    // The counter works: the test process itself does reach the server.
    expect(await (await fetch(`${url}control`)).text()).toBe('reached');
    expect(requests).toBe(1);
  }, 120_000);

  it('JavaScript objects reached through _pyodide_core cannot generate code', async () => {
    const result = await run(`${REACH_JS}\nFunction("return 1")`);
    expect(result.status).toBe('failed');
    expect(result.detail).toContain('code generation from strings is disabled in the sandbox');
  }, 60_000);
});

describe('Node sandbox: no host files', () => {
  it('host files cannot be read', async () => {
    for (const path of [join(canaryDir, 'secret.txt'), '/etc/passwd', '/etc/hostname']) {
      const result = await run(`open(${JSON.stringify(path)}).read()`);
      expect(result.status, path).toBe('failed');
      expect(result.detail, path).toMatch(/^FileNotFoundError/);
    }
  }, 60_000);

  it("the root folder Python lists is Pyodide's in-memory one", async () => {
    const hostOnly = readdirSync('/').filter((name) => !['tmp', 'home', 'dev', 'proc', 'lib'].includes(name));
    expect(hostOnly.length).toBeGreaterThan(0);
    const program = [
      'import os',
      `host_only = set(${JSON.stringify(hostOnly)})`,
      "seen = set(os.listdir('/'))",
      'assert not (seen & host_only), sorted(seen & host_only)',
      `assert not os.path.exists(${JSON.stringify(canaryDir)})`,
      `assert ${JSON.stringify(process.cwd())} == '/' or not os.path.exists(${JSON.stringify(process.cwd())})`,
    ].join('\n');
    expect(await run(program)).toMatchObject({ status: 'passed' });
  }, 60_000);

  it('files written by a program do not appear on the host', async () => {
    const name = `rvs-sandbox-probe-${process.pid}-${Date.now()}.txt`;
    const paths = [join('/tmp', name), join(canaryDir, name)];
    const program = [
      'import os',
      `open(${JSON.stringify(paths[0])}, "w").write("x")`,
      `os.makedirs(${JSON.stringify(canaryDir)}, exist_ok=True)`,
      `open(${JSON.stringify(paths[1])}, "w").write("x")`,
      `assert os.path.exists(${JSON.stringify(paths[0])})`,
    ].join('\n');
    expect(await run(program)).toMatchObject({ status: 'passed' });
    for (const path of paths) expect(existsSync(path), path).toBe(false);
  }, 60_000);

  it('NODEFS cannot be mounted', async () => {
    const attempts = [
      "import pyodide_js\npyodide_js.FS.mount(pyodide_js.FS.filesystems.NODEFS, {'root': '/'}, '/mnt')",
      "import pyodide_js\npyodide_js.mountNodeFS('/mnt', '/')",
      `${REACH_JS}\nimport pyodide_js`,
    ];
    for (const program of attempts) {
      const result = await run(program);
      expect(result.status, program).toBe('failed');
      expect(result.detail, program).toMatch(/ModuleNotFoundError/);
    }
    expect(await run("import os\nassert not os.path.exists('/mnt')")).toMatchObject({ status: 'passed' });
  }, 60_000);

  it("the host's environment is not visible", async () => {
    const program = [
      'import os',
      "assert 'RVS_SANDBOX_CANARY' not in os.environ",
      "assert not any('canary-value' in v for v in os.environ.values())",
      `assert os.environ.get('PATH') != ${JSON.stringify(process.env['PATH'])}`,
    ].join('\n');
    expect(await run(program)).toMatchObject({ status: 'passed' });
  }, 60_000);
});
