// python-socketio, the Python client of the Flask-SocketIO systems Confab replaces, run as a
// child process (end2end/python/sio_client.py) and driven line by line: what it emits, what it
// hears.
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';

/** The virtualenv `scripts/setup.sh python` makes. */
const python =
  process.env.CONFAB_PYTHON ??
  path.join(process.env.CONFAB_PYTHON_ENV ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'confab', 'python'), 'bin', 'python');
const script = path.join(__dirname, '..', 'python', 'sio_client.py');

/** One python-socketio client connected with a handshake token. */
export class PythonClient {
  readonly heard: { event: string; data: any }[] = [];
  private readonly replies = new Map<number, any>();
  private readonly child: ChildProcess;
  private calls = 0;
  private stderr = '';

  constructor(url: string, token: string) {
    if (!fs.existsSync(python)) {
      throw new Error(`no python-socketio at ${python}: run scripts/setup.sh python`);
    }
    this.child = spawn(python, [script, url, token], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (d) => (this.stderr += d));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line);
      if ('reply' in parsed) this.replies.set(parsed.reply, parsed.data);
      else this.heard.push(parsed);
    });
  }

  /** `sio.emit(event, data)`. */
  emit(event: string, data: unknown) {
    this.child.stdin!.write(JSON.stringify({ emit: event, data }) + '\n');
  }

  /** `sio.call(event, data)`: the server's acknowledgement. */
  async call(event: string, data: unknown): Promise<any> {
    const id = ++this.calls;
    this.child.stdin!.write(JSON.stringify({ call: event, data, id }) + '\n');
    return this.until(`the reply to ${event}`, () => (this.replies.has(id) ? { data: this.replies.get(id) } : undefined));
  }

  /** The first event `event` heard (now or within 10 s) that `match` accepts. */
  async next(event: string, match: (data: any) => boolean = () => true): Promise<any> {
    return this.until(event, () => this.heard.find((e) => e.event === event && match(e.data)));
  }

  /** Disconnects and waits for the process to end. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.write(JSON.stringify({ disconnect: true }) + '\n');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (this.child.exitCode === null) this.child.kill();
  }

  private async until(what: string, find: () => { data: any } | undefined): Promise<any> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const hit = find();
      if (hit) return hit.data;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`python-socketio: no ${what} within 10 s; heard ${JSON.stringify(this.heard)}; stderr: ${this.stderr}`);
  }
}
