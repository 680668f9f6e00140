/**
 * A throwaway consumer project for tests that use the package the way an installed copy is
 * used: the files `npm pack` would publish, copied under `node_modules/xstate-circuit-breaker`
 * of a temporary directory, next to links to this repository's other installed packages (so
 * `xstate` and the optional peers resolve). The package tests run `tsc` and `node` in it.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};
const run = promisify(execFile);

/** The files `npm pack` would put in the tarball, relative to the repository root. */
export function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
  });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  if (!pack) throw new Error('npm pack --dry-run printed no package');
  return pack.files.map((file) => file.path);
}

/**
 * The package's import paths (`xstate-circuit-breaker`, `xstate-circuit-breaker/diagram`, ...)
 * read from the `exports` map, so an entry added later is covered without touching the tests.
 */
export function entryPoints(): string[] {
  return Object.entries(packageJson.exports)
    .filter(([subpath, target]) => !subpath.endsWith('.json') && typeof target === 'object')
    .map(([subpath]) =>
      subpath === '.' ? packageJson.name : `${packageJson.name}/${subpath.slice(2)}`,
    );
}

export interface Consumer {
  dir: string;
  /** Writes `text` to `file` (relative to the project), creating folders as needed. */
  write(file: string, text: string): void;
  /** Runs the repository's TypeScript compiler on `tsconfig` (relative); resolves to its output. */
  tsc(tsconfig: string): Promise<{ ok: boolean; output: string }>;
  /** Runs `node ...args` in the project, bounded by `timeoutMs`, with `env` added. */
  node(
    args: readonly string[],
    timeoutMs: number,
    env?: Record<string, string>,
  ): Promise<{ ok: boolean; output: string }>;
  remove(): void;
}

/** Creates a consumer project with the packed package installed (build `dist/` first). */
export function createConsumer(files: readonly string[] = packedFiles()): Consumer {
  const dir = mkdtempSync(join(tmpdir(), 'xcb-consumer-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry === packageJson.name || entry.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry), 'dir');
  }
  const installed = join(modules, packageJson.name);
  for (const file of [...files, 'package.json']) {
    mkdirSync(dirname(join(installed, file)), { recursive: true });
    cpSync(join(root, file), join(installed, file));
  }
  const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const outcome = async (command: Promise<{ stdout: string; stderr: string }>) => {
    try {
      const { stdout, stderr } = await command;
      return { ok: true, output: `${stdout}${stderr}` };
    } catch (error) {
      const {
        stdout = '',
        stderr = '',
        message,
      } = error as {
        stdout?: string;
        stderr?: string;
        message: string;
      };
      return { ok: false, output: `${stdout}${stderr}` || message };
    }
  };
  return {
    dir,
    write(file, text) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    },
    tsc: (tsconfig) =>
      outcome(
        run(process.execPath, [tscBin, '-p', join(dir, tsconfig)], { cwd: dir, timeout: 60_000 }),
      ),
    node: (args, timeoutMs, env = {}) =>
      outcome(
        run(process.execPath, [...args], {
          cwd: dir,
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          env: { ...process.env, ...env },
        }),
      ),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
