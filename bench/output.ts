/**
 * Where `npm run bench` writes its results: nowhere unless asked, so a newcomer's run leaves the
 * tree clean. `--save` writes to bench/results (the committed numbers), `--out DIR` to DIR.
 */
export function resultsDirectory(args: readonly string[], root: string): string | null {
  const outAt = args.indexOf('--out');
  if (outAt !== -1) {
    const dir = args[outAt + 1];
    if (dir === undefined || dir.startsWith('--')) throw new TypeError('--out needs a directory');
    return dir;
  }
  return args.includes('--save') ? `${root}bench/results` : null;
}
