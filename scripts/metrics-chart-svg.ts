/**
 * Draws the charts of `scripts/metrics-chart.ts` as one hand-written SVG: a state timeline and
 * line charts laid out like the Grafana dashboard's panels.
 */

/** A line of a chart: points of [minute, value]; `null` values leave a gap (an absent series). */
export interface Line {
  label: string;
  color: string;
  points: Array<[number, number | null]>;
  dashed?: boolean;
}

/** One row of the state timeline: the state at each scrape. */
export interface TimelineRow {
  name: string;
  states: Array<[number, string]>;
}

export const STATE_COLORS: Record<string, string> = {
  closed: '#56a64b',
  open: '#e02f44',
  halfOpen: '#f2cc0c',
  forcedOpen: '#a352cc',
  disabled: '#3274d9',
};

const FONT = 'font-family="Inter, Helvetica, Arial, sans-serif"';
const PANEL_BG = '#181b1f';
const GRID = '#2c3235';
const TEXT = '#ccccdc';

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function frame(x: number, y: number, w: number, h: number, title: string): string {
  return [
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="${PANEL_BG}" stroke="${GRID}"/>`,
    `<text x="${x + 12}" y="${y + 22}" fill="${TEXT}" font-size="14" font-weight="600" ${FONT}>${escapeXml(title)}</text>`,
  ].join('\n');
}

/** A state timeline panel: one band per breaker, coloured by state. */
export function timeline(
  x: number,
  y: number,
  w: number,
  h: number,
  title: string,
  rows: TimelineRow[],
  minutes: number,
): string {
  const parts = [frame(x, y, w, h, title)];
  const left = x + 90;
  const plotW = w - 110;
  const rowH = (h - 70) / Math.max(1, rows.length);
  rows.forEach((row, i) => {
    const top = y + 36 + i * rowH;
    parts.push(
      `<text x="${x + 12}" y="${top + rowH / 2 + 5}" fill="${TEXT}" font-size="12" ${FONT}>${escapeXml(row.name)}</text>`,
    );
    // One rectangle per run of the same state: adjacent rectangles would leave hairline seams.
    const runs = row.states.filter(([, state], j) => j === 0 || row.states[j - 1]?.[1] !== state);
    runs.forEach(([minute, state], j) => {
      const next = runs[j + 1]?.[0] ?? minutes;
      const x0 = left + (minute / minutes) * plotW;
      const x1 = left + (next / minutes) * plotW;
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${(top + 3).toFixed(1)}" width="${Math.max(0.5, x1 - x0).toFixed(1)}" height="${(rowH - 6).toFixed(1)}" fill="${STATE_COLORS[state] ?? '#888'}"/>`,
      );
    });
  });
  parts.push(axisX(left, y + h - 30, plotW, minutes));
  let lx = x + w - 470;
  for (const [state, color] of Object.entries(STATE_COLORS)) {
    parts.push(`<rect x="${lx}" y="${y + 10}" width="10" height="10" fill="${color}"/>`);
    parts.push(
      `<text x="${lx + 14}" y="${y + 19}" fill="${TEXT}" font-size="11" ${FONT}>${state}</text>`,
    );
    lx += 90;
  }
  return parts.join('\n');
}

function axisX(left: number, y: number, width: number, minutes: number): string {
  const parts: string[] = [];
  for (let m = 0; m <= minutes; m += 10) {
    const tx = left + (m / minutes) * width;
    parts.push(
      `<text x="${tx}" y="${y + 16}" fill="${TEXT}" font-size="10" text-anchor="middle" ${FONT}>${m} min</text>`,
    );
  }
  return parts.join('\n');
}

/** A line chart panel with a legend, y from 0 to `yMax`. */
export function lineChart(
  x: number,
  y: number,
  w: number,
  h: number,
  title: string,
  lines: Line[],
  minutes: number,
  format: (value: number) => string,
): string {
  const parts = [frame(x, y, w, h, title)];
  const left = x + 60;
  const top = y + 36;
  const plotW = w - 80;
  const plotH = h - 100;
  const values = lines.flatMap((l) => l.points.map(([, v]) => v ?? 0));
  const yMax = niceMax(Math.max(0, ...values));
  for (let i = 0; i <= 4; i++) {
    const gy = top + plotH - (i / 4) * plotH;
    parts.push(`<line x1="${left}" y1="${gy}" x2="${left + plotW}" y2="${gy}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${left - 6}" y="${gy + 4}" fill="${TEXT}" font-size="10" text-anchor="end" ${FONT}>${escapeXml(format((i / 4) * yMax))}</text>`,
    );
  }
  for (const line of lines) {
    let d = '';
    let pen = false;
    for (const [minute, value] of line.points) {
      if (value === null) {
        pen = false;
        continue;
      }
      const px = left + (minute / minutes) * plotW;
      const py = top + plotH - (yMax === 0 ? 0 : (value / yMax) * plotH);
      d += `${pen ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)} `;
      pen = true;
    }
    const dash = line.dashed ? ' stroke-dasharray="8 6"' : '';
    parts.push(
      `<path d="${d.trim()}" fill="none" stroke="${line.color}" stroke-width="2"${dash}/>`,
    );
  }
  parts.push(axisX(left, top + plotH, plotW, minutes));
  let lx = left;
  for (const line of lines) {
    const dash = line.dashed ? ' stroke-dasharray="4 3"' : '';
    parts.push(
      `<line x1="${lx}" y1="${y + h - 24}" x2="${lx + 16}" y2="${y + h - 24}" stroke="${line.color}" stroke-width="3"${dash}/>`,
    );
    parts.push(
      `<text x="${lx + 20}" y="${y + h - 20}" fill="${TEXT}" font-size="11" ${FONT}>${escapeXml(line.label)}</text>`,
    );
    lx += 28 + line.label.length * 6.2;
  }
  return parts.join('\n');
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 4, 6, 8, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

/** The whole picture. */
export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#111217"/>`,
    `<text x="16" y="28" fill="${TEXT}" font-size="18" font-weight="600" ${FONT}>${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
