// Every ```ts block of the README, run as a user runs it: saved as an .mts module in a
// project of its own (node_modules/corepool is this package, node_modules/tsx the loader)
// and started with `node --import tsx`. A block that cannot run alone says so in the README
// source, in an HTML comment right before its fence (blank lines may separate them):
//   <!-- snippet: skip (why) -->  not run; the reason is printed (a server it needs, ...)
//   <!-- snippet: continues -->   run appended to the block before it (which also runs alone)
//   <!-- snippet: fragment -->    run after a prelude: every export of corepool imported,
//                                 `pool` (NativePool) and `io` (IoPool) with `await using`
// A block with no marker must run alone. Any other marker text is an error.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');

interface Snippet {
  line: number; // 1-based line of the opening fence
  kind: 'run' | 'skip' | 'continues' | 'fragment';
  reason: string;
  code: string; // what runs (for 'continues': the blocks before it too)
}

const MARKER = /^<!--\s*snippet:\s*(skip|continues|fragment)\b\s*(?:\((.*)\))?\s*-->$/;

function readmeSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let pending: { kind: Snippet['kind']; reason: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (/^<!--\s*snippet\s*:/.test(text)) {
      const m = MARKER.exec(text);
      if (!m) throw new Error(`README line ${i + 1}: unknown snippet marker ${text}`);
      pending = { kind: m[1] as Snippet['kind'], reason: m[2] ?? '', line: i + 1 };
      continue;
    }
    if (/^```/.test(text)) {
      const fence = text;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!);
      if (fence === '```ts') {
        const kind = pending?.kind ?? 'run';
        let code = body.join('\n');
        if (kind === 'continues') {
          const previous = snippets[snippets.length - 1];
          if (!previous) throw new Error(`README line ${start + 1}: 'continues' with no block before it`);
          code = `${previous.code}\n${code}`;
        }
        snippets.push({ line: start + 1, kind, reason: pending?.reason ?? '', code });
      } else if (pending) {
        throw new Error(`README line ${pending.line}: a snippet marker before a ${fence} block, not a \`\`\`ts one`);
      }
      pending = undefined;
      continue;
    }
    if (pending && text !== '') throw new Error(`README line ${pending.line}: a snippet marker not right before a code block`);
  }
  return snippets;
}

describe('README snippets run as a user runs them', function () {
  this.timeout(120_000);
  const snippets = readmeSnippets(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  let tmp: string;
  let ran = 0;
  let skipped = 0;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'corepool-readme-'));
    fs.mkdirSync(path.join(tmp, 'node_modules'));
    fs.symlinkSync(root, path.join(tmp, 'node_modules', 'corepool'), 'dir');
    fs.symlinkSync(path.join(root, 'node_modules', 'tsx'), path.join(tmp, 'node_modules', 'tsx'), 'dir');
    fs.writeFileSync(path.join(tmp, 'package.json'), '{ "name": "readme-user", "private": true }\n');
  });
  after(() => {
    console.log(`      README snippets: ${ran} ran, ${skipped} skipped, ${snippets.length} in all`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reads the markers: continues joins the block before, a bad or misplaced marker is an error', () => {
    const md = (...lines: string[]): string => lines.join('\n');
    const got = readmeSnippets(md('```ts', 'const a = 1;', '```', '<!-- snippet: continues -->', '', '```ts', 'console.log(a);', '```',
      '<!-- snippet: skip (needs a server) -->', '```ts', 'x', '```', '```sh', 'npm test', '```'));
    assert.deepEqual(got.map((g) => [g.kind, g.reason, g.code]),
      [['run', '', 'const a = 1;'], ['continues', '', 'const a = 1;\nconsole.log(a);'], ['skip', 'needs a server', 'x']]);
    assert.throws(() => readmeSnippets('<!-- snippet: maybe -->\n```ts\nx\n```'), /unknown snippet marker/);
    assert.throws(() => readmeSnippets('<!-- snippet: fragment -->\ntext\n```ts\nx\n```'), /not right before a code block/);
    assert.throws(() => readmeSnippets('<!-- snippet: continues -->\n```ts\nx\n```'), /no block before it/);
  });

  it('finds the README blocks, and some run', () => {
    assert.ok(snippets.length >= 5, `only ${snippets.length} \`\`\`ts blocks found`);
    assert.ok(snippets.some((s) => s.kind !== 'skip'));
  });

  for (const s of snippets) {
    if (s.kind === 'skip') {
      it(`README line ${s.line}: skipped (${s.reason || 'no reason given'})`, () => {
        skipped++;
        assert.notEqual(s.reason.trim(), '', `the skip marker before README line ${s.line} must say why`);
      });
      continue;
    }
    it(`README line ${s.line} (${s.kind}) runs and exits 0`, () => {
      let code = s.code;
      if (s.kind === 'fragment') {
        // The names come from the built package itself, so a new export needs no edit here.
        const names = Object.keys(require(path.join(root, 'dist', 'index.js')) as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
        code = `import { ${names.join(', ')} } from 'corepool';\nawait using pool = new NativePool();\nawait using io = new IoPool();\n${code}\n`;
      }
      const file = path.join(tmp, `readme-line-${s.line}.mts`);
      fs.writeFileSync(file, `${code}\nexport {};\n`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: tmp, encoding: 'utf8', timeout: 100_000 });
      assert.equal(r.status, 0, `README line ${s.line}: exit ${r.status} ${r.signal ?? ''}\n--- code\n${code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      // A printed value the README states in a comment (`console.log(x); // 78498`) must be printed.
      for (const [, expected] of s.code.matchAll(/console\.log\(.*\);\s*\/\/\s*(\d+)\s*$/gm)) assert.match(r.stdout, new RegExp(`^${expected}$`, 'm'), `README line ${s.line} promises ${expected}\n${r.stdout}`);
      ran++;
    });
  }
});
