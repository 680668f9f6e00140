import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

describe('the built dashboard entry', () => {
  it('a process exits on its own once close() resolves, with a page still connected', async () => {
    const script = `
      const { BreakerRegistry } = await import('xstate-circuit-breaker');
      const { startDashboard } = await import('xstate-circuit-breaker/dashboard');
      const { createActor, createMachine } = await import('xstate');
      const registry = new BreakerRegistry({ defaults: { failureThreshold: 1, resetTimeout: 600000 } });
      const breaker = registry.get('users');
      await breaker.call(() => Promise.reject(new Error('down'))).catch(() => {});
      const dashboard = await startDashboard({ registry });
      const actor = createActor(createMachine({ initial: 'a', states: { a: {} } }), { inspect: dashboard.inspect });
      actor.start();
      const events = await fetch(new URL('/api/events', dashboard.url));
      const reader = events.body.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      await dashboard.close();
      let ended = false;
      while (!ended) ended = (await reader.read()).done;
      console.log(first.startsWith('retry:'), ended, breaker.state);
    `;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      timeout: 15_000,
    });
    expect(stdout.trim()).toBe('true true open');
    // The breaker's reset timer is 10 minutes away and the poll runs forever: a process kept
    // alive by either would hit the 15 s timeout.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('loads from CommonJS too', async () => {
    const script = `const d = require('xstate-circuit-breaker/dashboard');
      console.log(typeof d.startDashboard, d.TRACE_FORMAT);`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
    expect(stdout.trim()).toBe('function xstate-circuit-breaker/dashboard-trace');
  });

  it('has types under moduleResolution node10 (typesVersions) as well as bundler', () => {
    const project = mkdtempSync(join(tmpdir(), 'dashboard-types-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules', 'xstate-circuit-breaker'), 'dir');
    const file = join(project, 'use.ts');
    writeFileSync(
      file,
      `import { BreakerRegistry } from 'xstate-circuit-breaker';
      import { startDashboard, type Dashboard } from 'xstate-circuit-breaker/dashboard';
      import { toDot } from 'xstate-circuit-breaker/diagram';
      export const start = (): Promise<Dashboard> => startDashboard({ registry: new BreakerRegistry() });
      export const draw = toDot;`,
    );
    for (const moduleResolution of [
      ts.ModuleResolutionKind.Node10,
      ts.ModuleResolutionKind.Bundler,
    ]) {
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution,
        types: ['node'],
        typeRoots: [join(root, 'node_modules', '@types')],
      });
      const messages = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(messages, String(moduleResolution)).toEqual([]);
    }
  });
});
