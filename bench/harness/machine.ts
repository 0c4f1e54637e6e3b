// What every report prints about the machine it ran on: absolute figures depend on it (and
// on the load, on a shared machine), ratios within one run are what carries over.
import * as os from 'node:os';

/** The 1, 5 and 15 minute load averages, e.g. "4.85 4.24 3.92". */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

/** e.g. "2 cores (AMD EPYC), node v20.20.2, load average (1, 5, 15 min) 4.85 4.24 3.92". */
export function machineLine(): string {
  const model = os.cpus()[0]?.model.trim() ?? 'cpu';
  return `${os.availableParallelism()} cores (${model}), node ${process.version}, load average (1, 5, 15 min) ${loadAverage()}`;
}
