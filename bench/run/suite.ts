// `corepool bench` (npm run bench): the suite. Every CPU workload through every contender
// (corepool, piscina, tinypool, a raw worker_threads pool, the main thread), mixed IO + CPU,
// tiny tasks, map, IO and isolation (harness/suite.ts); prints the report and writes
// latest.json, latest.md and the charts (harness/report.ts). Exits 1 when a contender's
// results disagree, so `--quick` is the CI smoke test.
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { fromSource } from '../contenders/corepool';
import { renderText, writeResults } from '../harness/report';
import { filterNames, runSuite, unknownFilterTerms } from '../harness/suite';

export const USAGE = `usage: corepool bench [--quick] [--workers 1,2,4] [--filter term,...] [--json] [--out dir]

  --quick      small sizes, 1 repetition (< 60 s): a smoke test that exits 1 if any
               contender's results disagree
  --workers    worker counts of the scaling sweep (default 1..cores and 2 x cores);
               other workloads use the largest count <= cores
  --filter     comma-separated terms; a run is kept if a term names its workload
               (countPrimes sha256 sumRange factorial mixed tiny map io isolation), its
               contender or a dash-separated part of it (corepool, piscina, js, native),
               or the pair (countPrimes/piscina-js)
  --json       print the JSON result on stdout (progress still goes to stderr)
  --out        results directory (default: bench/results in the repository,
               ./corepool-bench-results elsewhere); --no-write to write nothing
  optional peers: npm install --save-dev piscina tinypool p-limit`;

function parseWorkers(value: string | undefined, cores: number): number[] {
  if (value === undefined) return [...new Set([...Array.from({ length: cores }, (_, i) => i + 1), cores * 2])];
  const list = value.split(',').map((s) => Number(s.trim()));
  for (const n of list) {
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`--workers must be a comma-separated list of integers 1..256, got '${value}'`);
  }
  return [...new Set(list)].sort((a, b) => a - b);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      workers: { type: 'string' },
      filter: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const cores = os.availableParallelism();
  let workers = parseWorkers(values.workers, cores);
  if (values.quick && values.workers === undefined) workers = [1, cores];
  const defaultWorkers = [...workers].reverse().find((w) => w <= cores) ?? workers[0]!;
  const filter = (values.filter ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = unknownFilterTerms(filter);
  if (unknown.length > 0) {
    const known = filterNames();
    console.error(
      `corepool bench: --filter ${unknown.map((t) => `'${t}'`).join(', ')} names no workload or contender\n` +
        `  workloads:   ${known.workloads.join(' ')}\n  contenders:  ${known.contenders.join(' ')} (or a dash-separated part, or workload/contender)`,
    );
    return 1;
  }
  const res = await runSuite({ quick: values.quick, workers, defaultWorkers, filter, quiet: false });
  if (values.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
  else console.log(renderText(res));
  if (!values['no-write']) {
    const dir = values.out ?? (fromSource ? path.join(__dirname, '..', 'results') : path.resolve('corepool-bench-results'));
    const written = writeResults(res, dir);
    (values.json ? console.error : console.log)(`\nwrote ${written.map((p) => path.relative(process.cwd(), p) || p).join(', ')}`);
  }
  const disagree = res.cpu.concat(res.mixed).filter((r) => !r.agrees);
  if (res.errors.length > 0 || disagree.length > 0) {
    console.error(`\ncorepool bench: ${res.errors.length} error(s); results disagree in ${disagree.length} run(s)`);
    return 1;
  }
  return 0;
}
