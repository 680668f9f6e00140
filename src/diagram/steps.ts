/**
 * A piece of rendering work. It may return more work, which runs (depth first, in order) before
 * anything queued after it: a renderer writes a state's opening lines, returns its children and
 * its closing line as steps, and never calls itself.
 */
export type Step = () => readonly Step[] | undefined;

/**
 * Runs `steps` and every step they return, depth first, with an explicit stack instead of
 * recursion: a machine nested thousands of levels deep (which XState builds happily) cannot
 * overflow the call stack of an exporter.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * runSteps([() => { lines.push('{'); return [() => { lines.push('}'); return undefined; }]; }]);
 * ```
 */
export function runSteps(steps: readonly Step[]): void {
  const stack: Step[] = [];
  const schedule = (more: readonly Step[]) => {
    for (let i = more.length - 1; i >= 0; i--) stack.push(more[i] as Step);
  };
  schedule(steps);
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    const more = step();
    if (more !== undefined) schedule(more);
  }
}

/** A step that does `effect` and returns no further work. */
export const just =
  (effect: () => void): Step =>
  () => {
    effect();
    return undefined;
  };
