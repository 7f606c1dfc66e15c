// A log-log line chart as an SVG file, for bench:scale's curves: no dependency, one job.

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 560;
const H = 340;
const M = { left: 70, right: 150, top: 36, bottom: 46 };

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const decades = (low: number, high: number) => {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) ticks.push(10 ** e);
  return ticks;
};
const label = (value: number) => (value >= 1000 ? `${value / 1000 >= 1000 ? `${value / 1e6}M` : `${value / 1000}k`}` : String(value));

/** One chart, both axes logarithmic (a straight line is a power law; flat is constant cost). */
export function chart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const all = series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
  if (all.length === 0) return '';
  const xs = decades(Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0])));
  const ys = decades(Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1])));
  const [x0, x1] = [Math.log10(xs[0]!), Math.log10(xs[xs.length - 1]!) || 1];
  const [y0, y1] = [Math.log10(ys[0]!), Math.log10(ys[ys.length - 1]!)];
  const px = (x: number) => M.left + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2 - M.right / 2}" y="20" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<text x="${(W - M.right + M.left) / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  ];
  for (const x of xs) {
    parts.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#ddd"/>`);
    parts.push(`<text x="${px(x)}" y="${H - M.bottom + 14}" text-anchor="middle">${label(x)}</text>`);
  }
  for (const y of ys) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 4}" y="${py(y) + 4}" text-anchor="end">${y < 1 ? y : label(y)}</text>`);
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = s.points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(y));
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    parts.push(`<text x="${W - M.right + 10}" y="${M.top + 14 + i * 16}" fill="${colour}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Charts side by side in a grid of two columns, as one SVG file. */
export function sheet(charts: string[]): string {
  const drawn = charts.filter(Boolean);
  const rows = Math.ceil(drawn.length / 2);
  const placed = drawn.map(
    (svg, i) =>
      `<g transform="translate(${(i % 2) * W} ${Math.floor(i / 2) * H})">${svg.replace(/^<svg[^>]*>/, '').replace(/<\/svg>$/, '')}</g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * Math.min(2, drawn.length)}" height="${H * rows}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${placed.join('\n')}\n</svg>\n`;
}
