/**
 * Folds a tree bottom-up without recursion: `combine(node, results of its children)`, children
 * first, with an explicit stack. Guards (`not(not(...))`) and action params can nest as deep as
 * a user writes them, so no walk over them may use the call stack. A child that is one of its
 * own ancestors (a cyclic params object) gets `onCycle()` instead of being walked again.
 *
 * @example
 * ```ts
 * const depth = foldTree(tree, (n) => n.children, (_, below: number[]) => 1 + Math.max(0, ...below));
 * ```
 */
export function foldTree<N, R>(
  root: N,
  childrenOf: (node: N) => readonly N[],
  combine: (node: N, children: R[]) => R,
  onCycle?: () => R,
): R {
  interface Frame {
    node: N;
    children: readonly N[];
    results: R[];
  }
  const stack: Frame[] = [];
  const path = new Set<N>();
  const enter = (node: N) => {
    stack.push({ node, children: childrenOf(node), results: [] });
    path.add(node);
  };
  enter(root);
  let result: R | undefined;
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    if (frame.results.length < frame.children.length) {
      const child = frame.children[frame.results.length] as N;
      if (onCycle !== undefined && path.has(child)) frame.results.push(onCycle());
      else enter(child);
      continue;
    }
    stack.pop();
    path.delete(frame.node);
    result = combine(frame.node, frame.results);
    stack.at(-1)?.results.push(result);
  }
  return result as R;
}
