// The CPU workloads: the same list of Tasks for every contender, in full and --quick
// sizes, and how results are normalised so they can be checked equal across contenders.
import { KernelName, Task } from '../contenders/js-kernels.cjs';

export interface Workload {
  id: string;
  description: string;
  /** Sweep worker counts (speedup, efficiency); otherwise only the default count runs. */
  sweep: boolean;
  tasks: Task[];
}

function ranges(hi: number, parts: number): Task[] {
  const step = Math.ceil(hi / parts);
  const tasks: Task[] = [];
  for (let lo = 0; lo < hi; lo += step) tasks.push({ kernel: 'countPrimes', args: [lo, Math.min(hi, lo + step)] });
  return tasks;
}

function buffers(count: number, size: number): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j += 4096) data[j] = (i * 31 + j) & 0xff; // distinct inputs, distinct digests
    tasks.push({ kernel: 'sha256', args: [data] });
  }
  return tasks;
}

const repeat = (kernel: KernelName, args: unknown[], n: number): Task[] => Array.from({ length: n }, () => ({ kernel, args }));


export function cpuWorkloads(quick: boolean): Workload[] {
  const list: Workload[] = [
    {
      id: 'countPrimes',
      description: quick ? 'countPrimes over [0, 5e5) in 16 ranges' : 'countPrimes over [0, 3e6) in 48 ranges',
      sweep: true,
      tasks: quick ? ranges(5e5, 16) : ranges(3e6, 48),
    },
    {
      id: 'sha256',
      description: quick ? 'sha256 of 64 buffers of 64 KiB' : 'sha256 of 512 buffers of 64 KiB',
      sweep: false,
      tasks: buffers(quick ? 64 : 512, 64 * 1024),
    },
    {
      id: 'sumRange',
      description: quick ? 'sumRange(2^20) x 16' : 'sumRange(2^22) x 64',
      sweep: false,
      tasks: repeat('sumRange', [quick ? 2 ** 20 : 2 ** 22], quick ? 16 : 64),
    },
  ];
  list.push({
    id: 'factorial',
    description: quick ? 'factorial(2000) x 8' : 'factorial(5000) x 32',
    sweep: false,
    tasks: repeat('factorial', [quick ? 2000 : 5000], quick ? 8 : 32),
  });
  return list;
}

/** A comparable form of a kernel result: numbers and booleans as is, bytes as hex, bigints as hex. */
export function normalize(value: unknown): string | number | boolean | undefined {
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  return JSON.stringify(value);
}
