// The published API, as `npm pack` ships it: the package's .d.ts is built with the build's
// own tsconfig (what `prepare` runs before pack) into a scratch copy of the package, and
// from each entry point in package.json's `exports` the test collects (a) the sorted
// exported names and (b) every declaration the entry reaches (the exports and each type
// they name, printed without comments), and compares both to test/api-surface.snapshot.txt.
// So any change to the surface is a visible diff in review. After an intended change:
//
//   UPDATE_SNAPSHOT=1 npx mocha --no-config --node-option import=tsx test/api-surface.test.ts
//
// and commit the snapshot with the change. It also checks that the built .d.ts compiles on
// its own (skipLibCheck off), ships in the tarball, and hides what is not public.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';

const root = path.join(__dirname, '..');
const SNAPSHOT = path.join(__dirname, 'api-surface.snapshot.txt');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  typeRoots: [path.join(root, 'node_modules', '@types')],
  skipLibCheck: false,
};

interface PackageJson {
  types: string;
  exports: Record<string, string | { types?: string }>;
}

/** Builds the package's declarations into a scratch package; returns its directory and the files `npm pack` would ship. */
function buildPackage(): { dir: string; packed: Set<string> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-surface-'));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist')], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, `tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  // The same list `npm pack` makes from package.json's `files` (scripts off: prepack builds
  // the native addon, which this test does not need).
  const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(pack.status, 0, `npm pack --dry-run failed:\n${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as [{ files: { path: string }[] }];
  return { dir, packed: new Set(info.files.map((f) => f.path)) };
}

/** The entry points' .d.ts, from package.json: `types` and each `exports` condition's `types`. */
function entryPoints(pkg: PackageJson): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'object' && target.types !== undefined) entries.set(subpath, path.normalize(target.types));
  }
  assert.equal(entries.get('.'), path.normalize(pkg.types), 'package.json "types" and exports["."].types differ');
  return entries;
}

interface Surface {
  report: string;
  files: Set<string>; // the .d.ts files (relative to the package) the surface is declared in
  diagnostics: string[];
}

/** The exported names of each entry and every declaration they reach, printed without comments. */
function surfaceOf(dir: string, entries: Map<string, string>): Surface {
  const program = ts.createProgram([...entries.values()].map((e) => path.join(dir, e)), COMPILER_OPTIONS);
  const checker = program.getTypeChecker();
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const printer = ts.createPrinter({ removeComments: true });
  const ours = (node: ts.Node): boolean => node.getSourceFile().fileName.startsWith(dir + path.sep);
  const rel = (node: ts.Node): string => path.relative(dir, node.getSourceFile().fileName);

  const reached = new Map<ts.Node, string>(); // statement -> its printed text
  const pending: ts.Node[] = [];
  const reach = (symbol: ts.Symbol | undefined): void => {
    if (symbol === undefined) return;
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    for (const declaration of symbol.declarations ?? []) {
      if (!ours(declaration)) continue;
      // A variable is printed with its statement; a member with its class or interface.
      let node: ts.Node = declaration;
      while (!ts.isSourceFile(node.parent) && !ts.isModuleBlock(node.parent)) node = node.parent;
      if (!reached.has(node)) {
        reached.set(node, printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()));
        pending.push(node);
      }
    }
  };

  const sections: string[] = [];
  for (const [subpath, entry] of entries) {
    const file = program.getSourceFile(path.join(dir, entry))!;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
    sections.push(`## exports of '${subpath}' (${entry})\n${exports.map((s) => s.name).sort().join('\n')}\n`);
    for (const symbol of exports) reach(symbol);
  }
  // Every type a reached declaration names is part of the surface too.
  while (pending.length > 0) {
    const visit = (node: ts.Node): void => {
      if (ts.isTypeReferenceNode(node)) reach(checker.getSymbolAtLocation(node.typeName));
      else if (ts.isExpressionWithTypeArguments(node) || ts.isTypeQueryNode(node) || ts.isComputedPropertyName(node)) {
        const name = ts.isTypeQueryNode(node) ? node.exprName : node.expression;
        reach(checker.getSymbolAtLocation(name));
      }
      ts.forEachChild(node, visit);
    };
    visit(pending.pop()!);
  }
  const byFile = new Map<string, string[]>();
  for (const [node, text] of reached) {
    const list = byFile.get(rel(node)) ?? [];
    list.push(text);
    byFile.set(rel(node), list);
  }
  const files = [...byFile.keys()].sort();
  for (const f of files) sections.push(`## ${f}\n${byFile.get(f)!.sort().join('\n')}\n`);
  return { report: sections.join('\n'), files: new Set(files), diagnostics };
}

describe('published API surface', function () {
  this.timeout(120_000);
  let dir: string;
  let packed: Set<string>;
  let surface: Surface;

  before(() => {
    ({ dir, packed } = buildPackage());
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    const entries = entryPoints(pkg);
    for (const entry of entries.values()) assert.ok(packed.has(entry), `${entry} is not in the packed tarball`);
    surface = surfaceOf(dir, entries);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the built .d.ts compiles on its own, under strict and with skipLibCheck off', () => {
    assert.deepEqual(surface.diagnostics, []);
  });

  it('every file the surface is declared in ships in the tarball', () => {
    for (const f of surface.files) assert.ok(packed.has(f), `${f} is not packed`);
  });

  it('matches the committed snapshot (UPDATE_SNAPSHOT=1 refreshes it)', () => {
    if (process.env.UPDATE_SNAPSHOT === '1') fs.writeFileSync(SNAPSHOT, surface.report);
    const committed = fs.existsSync(SNAPSHOT) ? fs.readFileSync(SNAPSHOT, 'utf8') : '(no snapshot committed)';
    assert.equal(surface.report, committed, 'the public API changed: review the diff, then UPDATE_SNAPSHOT=1 and commit test/api-surface.snapshot.txt');
  });

  it('has no @internal member and no underscored member', () => {
    const declarations = [...surface.files].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    assert.doesNotMatch(declarations, /@internal/);
    const underscored = surface.report.match(/^\s+(?:readonly\s+)?_\w+[?(:]/gm);
    assert.equal(underscored, null, `underscored members in the surface: ${underscored?.join(', ')}`);
  });

  it('at run time, a pool object and its prototype hold nothing beyond its public declaration (private state is in #fields or the engine)', async () => {
    const lib = await import('../lib/index');
    const pools: [string, object & { shutdown(): Promise<void> }][] = [
      ['NativePool', new lib.NativePool()],
      ['IoPool', new lib.IoPool()],
      ['WorkerPool', new lib.WorkerPool({ minWorkers: 0 })],
      ['QueuePool', new lib.QueuePool({ queue: 'surface', connection: 'redis://127.0.0.1:1' })], // never connects: nothing submitted
    ];
    try {
      for (const [name, pool] of pools) {
        const declaration = new RegExp(`^export declare class ${name}\\b[^\\n]*\\{\\n([\\s\\S]*?)^\\}`, 'm').exec(surface.report);
        assert.ok(declaration, `no declaration of ${name} in the surface`);
        const declared = new Set<string>();
        for (const line of declaration[1].split('\n')) {
          const member = /^\s+(?:readonly |get |set |static )*([A-Za-z_$][\w$]*)/.exec(line);
          if (member && !/^\s+(private|protected)\b/.test(line)) declared.add(member[1]);
        }
        const atRunTime = [...Object.getOwnPropertyNames(pool), ...Object.getOwnPropertyNames(Object.getPrototypeOf(pool))].filter((n) => n !== 'constructor');
        assert.deepEqual(atRunTime.filter((n) => !declared.has(n)), [], `${name} has members at run time that its .d.ts does not declare public`);
      }
    } finally {
      await Promise.all(pools.map(([, pool]) => pool.shutdown()));
    }
  });

  it("a user's code cannot reach what is not public (compiled against the built .d.ts)", () => {
    const file = path.join(dir, 'user.ts');
    fs.writeFileSync(
      file,
      `import { Future, Kernel, kernels, NativePool, IoPool, FutureHandle, type LockStats } from './dist/index';
export async function user(): Promise<void> {
  const pool = new NativePool();
  const future = pool.submit(kernels.isPrime, [7]);
  // @ts-expect-error the pool's owner side of a Future is not public
  pool.cancel(future);
  // @ts-expect-error
  pool.liveState(future);
  // @ts-expect-error an executor settles Futures through Future.withResolvers, not underscored members
  future._setResult(true);
  // @ts-expect-error
  void future._key;
  // @ts-expect-error a kernel's native id is not public
  void kernels.isPrime.id;
  // @ts-expect-error Kernels cannot be constructed
  new Kernel();
  // @ts-expect-error
  new IoPool()._enqueue;
  const stats: LockStats = pool.lockStats();
  const handle: FutureHandle<boolean> = future.handle;
  const same: Future<boolean> = handle.future;
  void [stats, same];
  await pool.shutdown();
}
`,
    );
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'ES2022', '--module', 'commonjs', '--moduleResolution', 'node10', '--lib', 'ES2022,ESNext.Disposable', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), file], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});
