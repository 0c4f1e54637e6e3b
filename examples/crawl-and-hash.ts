// Crawl and hash: the asyncio + run_in_executor pattern. An IoPool fetches pages
// (bounded concurrency, a timeout and retries per page); each page's CPU work (sha256 of
// the body, a prime count seeded by the page) goes to a NativePool's threads, awaited
// from inside the IO task with its ctx.signal, so cancelling a fetch also stops the
// native work it started. The HTTP server is local (127.0.0.1, an ephemeral port) and
// makes every 5th page fail once with a 503, to show the retries.
//
//   node --import tsx examples/crawl-and-hash.ts [pages=40]
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { IoPool, kernels, NativePool, type TaskContext } from '../lib/index';

const PAGES = Number(process.argv[2] ?? 40);

/** The body of page `i`: a few KB of text that differs per page. */
export function pageBody(i: number): string {
  return `<html><body><h1>page ${i}</h1>${'<p>lorem ipsum dolor sit amet</p>'.repeat(64 + i)}</body></html>`;
}

/** The prime-count range of page `i`: the "analysis" each page asks for. */
export function primeRange(i: number): [number, number] {
  return [0, 50_000 + 1_000 * i];
}

async function main(): Promise<void> {
  // ---- the site ----
  const failedOnce = new Set<number>();
  const server = createServer((req, res) => {
    const m = /^\/page\/(\d+)$/.exec(req.url ?? '');
    if (!m) return void res.writeHead(404).end();
    const i = Number(m[1]);
    if (i % 5 === 0 && !failedOnce.has(i)) {
      failedOnce.add(i);
      return void res.writeHead(503).end('try again');
    }
    // A little latency, as a real server has.
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(pageBody(i)), 2 + (i % 7));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // ---- the pools ----
  const io = new IoPool({ name: 'crawler', maxConcurrency: 8 });
  const cpu = new NativePool({ name: 'hasher' });

  class HttpError extends Error {
    constructor(readonly status: number, url: string) {
      super(`GET ${url}: HTTP ${status}`);
    }
  }

  async function crawl(ctx: TaskContext, i: number) {
    const url = `${base}/page/${i}`;
    const res = await fetch(url, { signal: ctx.signal });
    if (!res.ok) throw new HttpError(res.status, url);
    const body = new Uint8Array(await res.arrayBuffer());
    // CPU work on native threads; ctx.signal ties it to this task's cancellation.
    const [digest, primes] = await Promise.all([
      cpu.submit(kernels.sha256, [body], { signal: ctx.signal }),
      cpu.submit(kernels.countPrimes, primeRange(i), { signal: ctx.signal }),
    ]);
    return { i, bytes: body.length, digest: Buffer.from(digest).toString('hex'), primes, attempts: ctx.attempt };
  }

  const t0 = performance.now();
  const futures = Array.from({ length: PAGES }, (_, i) =>
    io.submit(crawl, [i], {
      timeout: 10_000,
      retry: { retries: 3, minDelayMs: 10, maxDelayMs: 200, retryOn: (e) => !(e instanceof HttpError) || e.status >= 500 },
    }),
  );
  const pages = await Promise.all(futures);
  const ms = performance.now() - t0;

  // ---- the summary ----
  let verified = 0;
  for (const p of pages) if (createHash('sha256').update(pageBody(p.i)).digest('hex') === p.digest) verified++;
  const all = createHash('sha256');
  for (const p of pages) all.update(p.digest);
  const io_ = io.stats();
  const cpu_ = cpu.stats();
  console.log(`pages: ${pages.length} fetched, ${pages.reduce((n, p) => n + p.bytes, 0)} bytes in ${ms.toFixed(0)} ms`);
  console.log(`retried: ${pages.filter((p) => p.attempts > 1).length} pages (${io_.retries} retries)`);
  console.log(`sha256 verified: ${verified}/${pages.length}; digest of digests ${all.digest('hex')}`);
  console.log(`primes: ${pages.reduce((n, p) => n + p.primes, 0)} counted over ${pages.length} ranges`);
  console.log(`io pool: ${io_.completed} completed, ${io_.failed} failed, max concurrency ${io.maxConcurrency}`);
  console.log(`native pool: ${cpu_.completed} kernels on ${cpu_.workers} threads`);

  await io.shutdown();
  await cpu.shutdown();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

// Run when started as a program, not when imported; written without `require.main` or
// `import.meta` so the file works unchanged as ES module and as CommonJS.
if (/crawl-and-hash\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
