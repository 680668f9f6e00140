/**
 * Regenerates `statecharts/` from the circuit breaker machine: Mermaid, DOT,
 * SCXML, Stately Studio code and an SVG drawn from the DOT. Run it with
 * `npm run statecharts` after changing the machine; `test/statecharts.test.ts`
 * fails while the committed files are out of date.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { embedMermaid, generateStatecharts, STATECHARTS_DIR } from './statecharts-lib.js';

const files = await generateStatecharts();
await mkdir(STATECHARTS_DIR, { recursive: true });
for (const name of await readdir(STATECHARTS_DIR)) {
  if (!(name in files) && !name.startsWith('.')) {
    await rm(join(STATECHARTS_DIR, name));
    console.log(`removed statecharts/${name}`);
  }
}
for (const [name, content] of Object.entries(files)) {
  await writeFile(join(STATECHARTS_DIR, name), content);
  console.log(`wrote statecharts/${name}`);
}

// The README embeds the Mermaid diagram between markers; keep it in step too.
const readmePath = new URL('../README.md', import.meta.url);
const readme = await readFile(readmePath, 'utf8');
const updated = embedMermaid(readme, files['circuit-breaker.mmd'] ?? '');
if (updated !== readme) {
  await writeFile(readmePath, updated);
  console.log('updated the diagram in README.md');
}
