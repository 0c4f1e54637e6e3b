// The benchmark charts (bench/harness/svg.ts) keep every label inside the view box (issue 12 item
// 13: the legend 'corepool (global lock, CPython GIL)' was cut at the right edge). Checked
// twice: by a real renderer (rsvg-convert, Debian's librsvg2-bin), drawing the chart on a
// larger transparent canvas and looking for ink outside the view box; and by conservative
// text extents (an upper bound of each glyph's width), which needs no renderer.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';

import * as fs from 'node:fs';
import * as path from 'node:path';

import { cpuContenders } from '../bench/contenders/pools';
import { charts as reportCharts } from '../bench/harness/report';
import type { SuiteResult } from '../bench/harness/suite';
import { lineChart, textWidth, type Series } from '../bench/harness/svg';

const ideal: [number, number][] = [[1, 1], [2, 2], [4, 2], [8, 2]];
const pts = (k: number): [number, number][] => [[1, 1], [2, 1 + k], [4, 1 + k], [8, 1 + k]];
const charts: Record<string, string> = {
  // The names bench/harness/report.ts charts() gives the two GIL series.
  'gil-vs-nogil': lineChart('GIL vs no GIL: countPrimes speedup', 'workers', 'speedup over 1 worker', [
    { name: 'corepool (no lock)', points: pts(0.9) },
    { name: 'corepool (global lock, CPython GIL)', points: pts(0) },
  ], ideal),
  'many long names': lineChart('countPrimes: speedup vs workers', 'workers', 'speedup over 1 worker',
    ['corepool', 'piscina-js', 'tinypool-js', 'workerpool-js', 'poolifier-js', 'WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW',
      'mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm', ...Array.from({ length: 14 }, (_, i) => `contender ${i}`)]
      .map((name, i): Series => ({ name, points: pts(i / 20), dashed: name.endsWith('-js') })), ideal),
  'long title': lineChart('M'.repeat(70), 'workers', 'speedup over 1 worker', [{ name: 'x', points: pts(1) }]),
};

// The charts the report writes (speedup.svg, gil-vs-nogil.svg) for a run with every CPU
// contender swept over 1, 2, 4 and 8 workers, as charts() builds them from the rows.
{
  const cpu = cpuContenders.flatMap((c, i) => [1, 2, 4, 8].map((workers) => ({
    workload: 'countPrimes', contender: c.id, workers, wallMs: 100 / Math.min(workers, 2), throughput: 1, speedup: Math.min(workers, 2) - i / 20,
    efficiency: 1, latencyP50Ms: 1, latencyP99Ms: 1, eventLoopP99Ms: 1, startupMs: 1, peakRssMB: 1, agrees: true,
  })));
  const written = reportCharts({ machine: { availableParallelism: 2 }, cpu } as unknown as SuiteResult);
  assert.deepEqual(Object.keys(written).sort(), ['gil-vs-nogil.svg', 'speedup.svg']);
  for (const [name, svg] of Object.entries(written)) charts[`report's ${name}`] = svg;
}
// And the committed reference run's charts, which the README links.
const referenceDir = path.join(__dirname, '..', 'bench', 'results', 'reference');
for (const name of fs.readdirSync(referenceDir).filter((f) => f.endsWith('.svg'))) {
  charts[`reference ${name}`] = fs.readFileSync(path.join(referenceDir, name), 'utf8');
}

function viewBox(svg: string): { w: number; h: number } {
  const m = /<svg [^>]*viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  assert.ok(m, 'the chart has a viewBox "0 0 W H"');
  return { w: Number(m[1]), h: Number(m[2]) };
}

/** Decodes an 8-bit RGBA, non-interlaced PNG (what rsvg-convert writes) to its pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG signature');
  let width = 0, height = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 6, 0], 'an 8-bit RGBA non-interlaced PNG');
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      assert.ok(predictor !== undefined, `PNG filter ${filter}`);
      rgba[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

const hasRsvg = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' }).status === 0;

describe('bench charts keep every label inside the view box', function () {
  this.timeout(60_000);

  describe('rendered by rsvg-convert', () => {
    const PAD = 300;
    before(function () {
      // .ci/run installs librsvg2-bin, so under CI a missing renderer is a failure; elsewhere
      // this half says it did not run.
      if (!hasRsvg && process.env.CI === 'true') assert.fail('rsvg-convert (Debian librsvg2-bin) is not installed');
      if (!hasRsvg) this.skip();
    });
    for (const [name, svg] of Object.entries(charts)) {
      it(`${name}: no ink outside the view box`, () => {
        const { w, h } = viewBox(svg);
        // The same drawing on a canvas PAD larger on every side; only the chart's own white
        // background is opaque, so any opaque pixel outside it is a label that overflows.
        const padded = svg.replace(/<svg ([^>]*)width="[\d.]+" height="[\d.]+" viewBox="0 0 [\d.]+ [\d.]+"/,
          `<svg $1width="${w + 2 * PAD}" height="${h + 2 * PAD}" viewBox="${-PAD} ${-PAD} ${w + 2 * PAD} ${h + 2 * PAD}"`);
        assert.notEqual(padded, svg);
        const r = spawnSync('rsvg-convert', ['-f', 'png'], { input: padded, maxBuffer: 64 << 20 });
        assert.equal(r.status, 0, String(r.stderr));
        const img = decodePng(r.stdout);
        assert.deepEqual([img.width, img.height], [w + 2 * PAD, h + 2 * PAD]);
        let outside = 0, inside = 0;
        const where: string[] = [];
        for (let y = 0; y < img.height; y++) {
          for (let x = 0; x < img.width; x++) {
            if (img.rgba[(y * img.width + x) * 4 + 3] === 0) continue;
            const inBox = x >= PAD && x < PAD + w && y >= PAD && y < PAD + h;
            if (inBox) inside++;
            else if (outside++ < 5) where.push(`(${x - PAD}, ${y - PAD})`);
          }
        }
        assert.ok(inside > 0.9 * w * h, 'the chart itself was drawn');
        assert.equal(outside, 0, `${outside} pixels drawn outside the ${w}x${h} view box, e.g. at ${where.join(' ')}`);
      });
    }
  });

  describe('by conservative text extents', () => {
    for (const [name, svg] of Object.entries(charts)) {
      it(`${name}: every <text> fits`, () => {
        const { w, h } = viewBox(svg);
        const texts = [...svg.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)];
        assert.ok(texts.length >= 8, `${texts.length} labels`);
        for (const [, attrs, content] of texts) {
          const attr = (k: string): string | undefined => new RegExp(`(?:^| )${k}="([^"]*)"`).exec(attrs!)?.[1];
          const text = content!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
          const size = Number(attr('font-size') ?? 12);
          const width = textWidth(text, size, attr('font-weight') === 'bold');
          const anchor = attr('text-anchor') ?? 'start';
          const start = anchor === 'middle' ? -width / 2 : anchor === 'end' ? -width : 0;
          let box: [number, number, number, number]; // x0, y0, x1, y1
          const rotated = /translate\(([\d.]+) ([\d.]+)\) rotate\(-90\)/.exec(attr('transform') ?? '');
          if (rotated) {
            const [tx, ty] = [Number(rotated[1]), Number(rotated[2])];
            box = [tx - size, ty - start - width, tx + 0.3 * size, ty - start];
          } else {
            assert.equal(attr('transform'), undefined, `a transform the check does not know: ${attrs}`);
            const [x, y] = [Number(attr('x')), Number(attr('y'))];
            box = [x + start, y - size, x + start + width, y + 0.3 * size];
          }
          assert.ok(box[0] >= 0 && box[1] >= 0 && box[2] <= w && box[3] <= h,
            `'${text}' spans x ${box[0].toFixed(0)}..${box[2].toFixed(0)}, y ${box[1].toFixed(0)}..${box[3].toFixed(0)}: outside the ${w}x${h} view box`);
        }
      });
    }
  });
});
