import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package tests (dual build, process exit) run against dist/, so build it once first. */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/tsup/dist/cli-default.js`, '--silent'], {
    cwd: root,
    stdio: 'inherit',
  });
}
