// Starts a real Confab server for a test: the built binary, a free port, a fresh data dir.
import { test } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repoRoot, 'target');
const binary = process.env.CONFAB_BIN ?? path.join(targetDir, 'debug', 'confab');
const siteRoot = process.env.CONFAB_SITE_ROOT ?? path.join(targetDir, 'site');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`confab exited with ${child.exitCode}:\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`confab did not become healthy at ${url}:\n${log()}`);
}

/** The server's environment: embedded defaults, whatever the developer's shell has set. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('CONFAB_') || key === 'DATABASE_URL' || key === 'REDIS_URL') delete env[key];
  }
  env.LEPTOS_SITE_ROOT = siteRoot;
  env.LEPTOS_OUTPUT_NAME = 'confab';
  env.RUST_LOG = process.env.RUST_LOG ?? 'warn';
  return env;
}

/** A running server; `restart()` keeps the port and the database. */
export class TestServer {
  private child: ChildProcess | null = null;
  private output = '';

  private constructor(readonly port: number, readonly dataDir: string, private readonly extraArgs: string[]) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: string[] = []): Promise<TestServer> {
    if (!fs.existsSync(binary)) {
      throw new Error(`no server binary at ${binary}: build it first (scripts/test.sh does)`);
    }
    if (!fs.existsSync(path.join(siteRoot, 'pkg'))) {
      throw new Error(`no built site at ${siteRoot}/pkg: build the WASM app first (scripts/test.sh does)`);
    }
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'confab-e2e-'));
    const server = new TestServer(await freePort(), dataDir, extraArgs);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn(
      binary,
      ['--bind', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...this.extraArgs],
      {
        cwd: repoRoot,
        env: serverEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.child = child;
    await waitForHealth(this.url, child, () => this.output);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    this.child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Starts a stopped server again (same port, same database). */
  async resume(): Promise<void> {
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Where a screenshot named `name` is saved (git-ignored). */
export function shot(name: string): string {
  return path.join(__dirname, '..', 'artifacts', 'screenshots', `${name}.png`);
}

/** Collects console errors of a page (a favicon 404 aside). */
export function watchConsole(page: import('@playwright/test').Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes('favicon')) errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/**
 * One server for the spec file that calls this at its top level: started before its tests,
 * disposed after them. The returned function gives the running server.
 */
export function serverForFile(extraArgs: string[] = []): () => TestServer {
  let server: TestServer | undefined;
  test.beforeAll(async () => {
    server = await TestServer.start(extraArgs);
  });
  test.afterAll(async () => {
    await server?.dispose();
  });
  return () => {
    if (!server) throw new Error('the server has not started yet');
    return server;
  };
}
