// The plain-BullMQ contender's worker, as a BullMQ user writes one: a Worker whose
// processor runs the job in JS. argv: redis URL, queue name, concurrency.
import { Worker } from 'bullmq';

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

const [url, queue, concurrency] = process.argv.slice(2);
const worker = new Worker(queue!, async (job) => (job.name === 'isPrime' ? isPrime(job.data.n as number) : null), {
  connection: { url },
  concurrency: Number(concurrency ?? 1),
});
worker.on('error', () => undefined);
void worker.waitUntilReady().then(() => console.log('bullmq worker ready'));
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
