import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  embedMermaid,
  generateStatecharts,
  readStatecharts,
  STATECHARTS_DIR,
} from '../scripts/statecharts-lib.js';

const REGENERATE = 'run `npm run statecharts` and commit statecharts/';

// Generated inside each test, not when the file loads: code run at load time belongs to no
// test, so mutation testing would have to run the whole suite for every exporter mutant.
const committed = await readStatecharts();

describe('statecharts/', () => {
  it('holds exactly the generated files', async () => {
    const generated = await generateStatecharts();
    expect(Object.keys(committed).sort(), `statecharts/ is out of date: ${REGENERATE}`).toEqual(
      Object.keys(generated).sort(),
    );
  });

  it.each(Object.keys(committed))('%s matches the circuit breaker machine', async (name) => {
    const generated = await generateStatecharts();
    expect(committed[name], `statecharts/${name} is out of date: ${REGENERATE}`).toBe(
      generated[name],
    );
  });

  it('shows the named guards and delays of the machine, one edge per reason to open', async () => {
    const generated = await generateStatecharts();
    const mermaid = generated['circuit-breaker.mmd'] ?? '';
    const opening = mermaid.match(/^ {2}\w+ --> circuit_automatic_open : .*$/gm) ?? [];
    expect(opening.map((edge) => edge.replace(/^.* : /, '')).sort()).toEqual(
      [
        'FAILURE [consecutiveFailuresReached]',
        'FAILURE [failureRateReached]',
        'FAILURE [slowCallRateReached]',
        'SUCCESS [slowCallRateReached]',
        'FAILURE [retryAfterGiven]',
        'FAILURE [retryAfterGiven]',
        'FAILURE [probeFailed]',
        'SUCCESS [slowProbe]',
        'after(halfOpenMaxWait) [hasHalfOpenMaxWait]',
        'FORCE_OPEN [forOpenPeriod]',
        'REMOTE [remoteOpened]',
      ].sort(),
    );
    expect(mermaid).toMatch(
      /^ {2}circuit_automatic_open --> circuit_automatic_halfOpen : after\(resetTimeout\)$/m,
    );
    expect(mermaid).not.toContain('inline');
  });

  it('draws each manual control once, from the circuit region', async () => {
    const generated = await generateStatecharts();
    const mermaid = generated['circuit-breaker.mmd'] ?? '';
    for (const control of ['FORCE_CLOSE', 'RESET', 'DISABLE']) {
      expect(mermaid.match(new RegExp(`--> \\w+ : ${control}$`, 'gm'))).toEqual([
        expect.stringMatching(/./),
      ]);
    }
    expect(mermaid).toMatch(/^ {2}circuit --> circuit_forcedOpen : FORCE_OPEN$/m);
  });

  it('draws the store region and where onStoreUnavailable sends the circuit', async () => {
    const generated = await generateStatecharts();
    const mermaid = generated['circuit-breaker.mmd'] ?? '';
    expect(mermaid).toMatch(/^ {4}--\n {4}store$/m);
    expect(mermaid).toMatch(
      /^ {2}store_degraded --> store_connected : STORE_STATUS \[storeConnected\]$/m,
    );
    expect(mermaid).toMatch(
      /^ {2}circuit --> circuit_forcedOpen : STORE_STATUS \[storeLostOpens\]$/m,
    );
    expect(mermaid).toMatch(
      /^ {2}circuit --> circuit_disabled : STORE_STATUS \[storeLostCloses\]$/m,
    );
  });

  it('has Stately code that type-checks', () => {
    const file = join(STATECHARTS_DIR, 'circuit-breaker.stately.ts');
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(errors).toEqual([]);
  });
});

describe('README.md', () => {
  it('embeds the Mermaid diagram the machine generates now', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const generated = await generateStatecharts();
    const mermaid = generated['circuit-breaker.mmd'] ?? '';
    expect(mermaid).toContain('stateDiagram-v2');
    expect(embedMermaid(readme, mermaid), `README.md's diagram is out of date: ${REGENERATE}`).toBe(
      readme,
    );
  });
});
