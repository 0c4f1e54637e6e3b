// Line charts as plain SVG strings (no dependency): viewable in a browser and in
// Markdown viewers (GitHub renders <img src="x.svg">).

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * An upper bound of the width of `text` in px at `fontSize`, in the sans-serif fonts viewers
 * use (DejaVu Sans, Arial, Helvetica: no glyph here is wider than these em fractions). The
 * layout makes room by it, so a long legend is not cut at the edge of the view box.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) {
    if ('mwMW@%'.includes(c)) em += 1.0;
    else if (' .,:;!|\'()[]ijlIft'.includes(c)) em += 0.45;
    else if (c >= 'A' && c <= 'Z') em += 0.8;
    else em += 0.68;
  }
  return em * fontSize * (bold ? 1.12 : 1);
}

const PLOT_W = 410, PLOT_H = 330, LEGEND_ROW = 20;

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], ideal?: [number, number][]): string {
  const L = 60, T = 40, B = 50;
  const legendNames = [...(ideal && ideal.length > 1 ? ['ideal (= cores)'] : []), ...series.map((s) => s.name)];
  // The legend column: 46 px of swatch and gap, then the longest name, then a margin.
  const R = Math.max(250, 46 + Math.max(0, ...legendNames.map((n) => textWidth(n, 12))) + 12);
  const titleWidth = textWidth(title, 15, true);
  const W = Math.ceil(Math.max(L + PLOT_W + R, titleWidth + 8));
  const H = Math.ceil(Math.max(T + PLOT_H + B, T + 10 + legendNames.length * LEGEND_ROW + 10));
  const titleX = Math.round(Math.min(Math.max((L + W - R) / 2, titleWidth / 2 + 4), W - titleWidth / 2 - 4));
  const all = series.flatMap((s) => s.points).concat(ideal ?? []);
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(...xs, 1), xMax = Math.max(...xs, 2);
  const yMax = Math.max(...all.map((p) => p[1]), 1) * 1.1;
  const px = (x: number): number => L + ((x - xMin) / (xMax - xMin)) * (W - L - R);
  const py = (y: number): number => H - B - (y / yMax) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${titleX}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // Axes and grid.
  const yStep = niceStep(yMax / 5);
  for (let y = 0; y <= yMax; y += yStep) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${L - 6}" y="${py(y) + 4}" text-anchor="end">${+y.toFixed(2)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${T}" y2="${H - B}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px(x)}" y="${H - B + 16}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="black"/><line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="black"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  const path = (pts: [number, number][]): string => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
  let legendY = T + 10;
  if (ideal && ideal.length > 1) {
    out.push(`<path d="${path(ideal)}" fill="none" stroke="#999" stroke-dasharray="2 4"/>`);
    out.push(`<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${legendY}" y2="${legendY}" stroke="#999" stroke-dasharray="2 4"/><text x="${W - R + 46}" y="${legendY + 4}">ideal (= cores)</text>`);
    legendY += LEGEND_ROW;
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<path d="${path(pts)}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const p of pts) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.name)}: ${p[1].toFixed(2)} at ${p[0]}</title></circle>`);
    out.push(`<line x1="${W - R + 15}" x2="${W - R + 40}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/><text x="${W - R + 46}" y="${legendY + 4}">${esc(s.name)}</text>`);
    legendY += LEGEND_ROW;
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function niceStep(raw: number): number {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}
