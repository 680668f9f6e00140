/**
 * The TypeScript blocks of README.md, made into modules the README test can type-check and run:
 * each block becomes a module whose first line imports the package's (and XState's) exports it
 * uses without importing them, so snippets stay short. Fakes (`fetchUser`, `store`, ...) come
 * from the preludes beside this file.
 */

/** A ```ts block of the README. */
export interface ReadmeBlock {
  /** 1-based README line of the block's first code line. */
  line: number;
  code: string;
  /** False when the block's first line is a `// no-run: reason` comment. */
  runnable: boolean;
}

/** The marker that keeps a block from running (it is still type-checked). */
export const NO_RUN = /^\s*\/\/\s*no-run:/;

/** Every ```ts (or ```typescript) block of `markdown`, in order. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i] ?? '')) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
    const code = lines.slice(start, end).join('\n');
    blocks.push({ line: start + 1, code, runnable: !NO_RUN.test(lines[start] ?? '') });
    i = end;
  }
  return blocks;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Names a block brings into its own top-level scope: imports and top-level declarations. */
export function ownNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const [, list = ''] of code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from/g)) {
    for (const part of list.split(',')) {
      const name = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop();
      if (name && IDENTIFIER.test(name)) names.add(name);
    }
  }
  for (const [, name = ''] of code.matchAll(/import\s+(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)\s+from/g)) {
    names.add(name);
  }
  const declaration =
    /^(?:export\s+)?(?:declare\s+)?(?:async\s+)?(?:const|let|var|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
  for (const [, name = ''] of code.matchAll(declaration)) names.add(name);
  for (const [, list = ''] of code.matchAll(/^(?:const|let|var)\s*\{([^}]*)\}\s*=/gm)) {
    for (const part of list.split(',')) {
      const name = part.split(':').pop()?.trim();
      if (name && IDENTIFIER.test(name)) names.add(name);
    }
  }
  return names;
}

/**
 * The block as a module: one line of imports for the names of `modules` (specifier -> exported
 * names; earlier modules win a name) that it uses without bringing in itself, then the block,
 * then `export {}` so it is a module even without imports. Line N of the block is line N + 1.
 */
export function asModule(
  code: string,
  modules: ReadonlyArray<readonly [string, readonly string[]]>,
) {
  const own = ownNames(code);
  // Usage is looked for outside the block's own imports (`toDot as dot` uses no `toDot`).
  const body = code.replace(/^import\s[^;]*;/gm, '');
  const taken = new Set<string>();
  const imports: string[] = [];
  for (const [specifier, names] of modules) {
    const used = names.filter(
      (name) => !own.has(name) && !taken.has(name) && new RegExp(`\\b${name}\\b`).test(body),
    );
    for (const name of used) taken.add(name);
    if (used.length > 0) imports.push(`import { ${used.join(', ')} } from '${specifier}';`);
  }
  return `${imports.join(' ')}\n${code}\nexport {};\n`;
}
