// Real processes for QueuePool's benchmarks and tests: a redis-server of its own on a
// free loopback port, and `corepool worker` processes (from source under tsx, or the
// compiled CLI). Each process is killed if this process exits first.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const fromSource = __filename.endsWith('.ts');
// bench/cli.ts from source, dist/bench/cli.js compiled.
const cliFile = path.join(__dirname, '..', fromSource ? 'cli.ts' : 'cli.js');

export function redisServerBinary(): string | undefined {
  const named = process.env.COREPOOL_TEST_REDIS_SERVER;
  if (named !== undefined && named !== '') return named;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A free loopback port (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisProcess {
  url: string;
  port: number;
  /** SIGTERM (Redis writes its AOF and exits), waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves when it answers. */
  start(): Promise<void>;
}

/** Starts a redis-server of its own on a free loopback port, in a temp dir. */
export async function startRedis(options: { appendonly?: boolean; args?: string[] } = {}): Promise<RedisProcess> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error('redis-server not found (apt-get install -y redis-server, or set COREPOOL_TEST_REDIS_SERVER)');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.appendonly ? 'yes' : 'no'];
  if (options.appendonly) args.push('--appendfsync', 'always');
  args.push(...(options.args ?? []));
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    proc = spawn(binary, args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await ping(port)) return;
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    await exited;
  };
  await start();
  process.once('exit', () => proc?.kill('SIGKILL'));
  return { url: `redis://127.0.0.1:${port}`, port, start, stop };
}

/** True if a Redis answers PING on the port. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface WorkerProcess {
  proc: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Starts `corepool worker` (from source) and resolves once it says it is ready. */
export async function startWorker(redis: string, queue: string, extra: string[] = []): Promise<WorkerProcess> {
  const node = fromSource ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...node, cliFile, 'worker', '--redis', redis, '--queue', queue, ...extra], {
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve(code ?? signal ?? -1);
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not get ready within 30 s:\n${out}`)), 30_000);
    const check = (): void => {
      if (out.includes('corepool worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready:\n${out}`));
    });
  });
  await ready;
  return { proc, pid: proc.pid!, output: () => out, exited, kill: (signal = 'SIGTERM') => proc.kill(signal) };
}

/** Stops workers that are still running (SIGKILL after 10 s). */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
      w.kill('SIGTERM');
      const timer = setTimeout(() => w.kill('SIGKILL'), 10_000);
      await w.exited;
      clearTimeout(timer);
    }),
  );
}
