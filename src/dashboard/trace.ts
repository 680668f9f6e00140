import { readFile } from 'node:fs/promises';
import { TRACE_FORMAT } from './protocol.js';

/**
 * Reads a trace the page downloaded (JSON Lines: a header line, then one message per line) and
 * checks its shape, so a wrong file fails at `startDashboard` rather than as a blank page.
 *
 * @returns the trace's text, normalised to one JSON object per line.
 */
export async function readTrace(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const parsed = lines.map((line, index) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new SyntaxError(`trace ${path}: line ${index + 1} is not JSON`);
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof value !== 'object' || value === null || typeof type !== 'string') {
      throw new SyntaxError(`trace ${path}: line ${index + 1} is not a message with a type`);
    }
    return value as { type: string; format?: unknown };
  });
  const header = parsed[0];
  if (header === undefined || header.type !== 'trace' || header.format !== TRACE_FORMAT) {
    throw new SyntaxError(
      `trace ${path}: the first line must be a header {"type":"trace","format":"${TRACE_FORMAT}"}`,
    );
  }
  return `${parsed.map((message) => JSON.stringify(message)).join('\n')}\n`;
}
