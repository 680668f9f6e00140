import { describe, expect, it } from 'vitest';
import { resultsDirectory } from '../bench/output.js';

describe('npm run bench output', () => {
  it('writes nothing unless asked, so a run only to look leaves the tree clean', () => {
    expect(resultsDirectory([], '/repo/')).toBeNull();
    expect(resultsDirectory(['--quick', '--filter', 'ours'], '/repo/')).toBeNull();
  });

  it('writes bench/results with --save, or the --out directory', () => {
    expect(resultsDirectory(['--quick', '--save'], '/repo/')).toBe('/repo/bench/results');
    expect(resultsDirectory(['--out', '/tmp/bench'], '/repo/')).toBe('/tmp/bench');
    expect(() => resultsDirectory(['--out'], '/repo/')).toThrow('--out needs a directory');
    expect(() => resultsDirectory(['--out', '--save'], '/repo/')).toThrow('--out needs');
  });
});
