/** A small SVG line chart, so the benchmarks draw their own figures with no dependency. */

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

const niceMax = (value: number) => {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
};

/** A round step (1, 2 or 5 times a power of ten) at least `raw`. */
const niceStep = (raw: number) => {
  if (raw <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((s) => s * magnitude >= raw) ?? 10) * magnitude;
};

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  logY?: boolean;
  width?: number;
  height?: number;
}): string {
  const { title, xLabel, yLabel, series, logY = false, width = 860, height = 400 } = options;
  const left = 70;
  const right = 280;
  const top = 40;
  const bottom = 50;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const yMinRaw = logY ? Math.max(1e-9, Math.min(...ys.filter((y) => y > 0))) : 0;
  const yMax = niceMax(Math.max(...ys));
  const yMin = logY ? 10 ** Math.floor(Math.log10(yMinRaw)) : 0;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const sy = (y: number) =>
    logY
      ? top +
        plotH -
        ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin) || 1)) * plotH
      : top + plotH - (y / yMax) * plotH;
  const ticks = logY
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => (yMax * i) / 5);
  const xStep = niceStep((xMax - xMin) / 6);
  const xTicks = Array.from({ length: Math.floor((xMax - xMin) / xStep) + 1 }, (_, i) => xMin + i * xStep);
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(2)}`);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...ticks.map(
      (t) =>
        `<line x1="${left}" x2="${left + plotW}" y1="${sy(t)}" y2="${sy(t)}" stroke="#ddd"/><text x="${left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
    ),
    ...xTicks.map((t) => `<text x="${sx(t)}" y="${top + plotH + 18}" text-anchor="middle">${fmt(t)}</text>`),
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    ...series.map((s, i) => {
      const color = COLORS[i % COLORS.length] ?? '#000';
      const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      const ly = top + 10 + i * 20;
      return (
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>` +
        `<line x1="${left + plotW + 15}" x2="${left + plotW + 35}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>` +
        `<text x="${left + plotW + 40}" y="${ly + 4}">${escapeXml(s.name)}</text>`
      );
    }),
    '</svg>',
  ];
  return parts.join('\n');
}
