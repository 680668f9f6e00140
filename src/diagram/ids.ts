/**
 * Allocates output-format identifiers for state ids: each state id is mapped
 * through `sanitize`, and clashes with an earlier identifier get a numeric
 * suffix. Allocation happens in call order, so walking the graph in document
 * order gives stable ids.
 *
 * @example
 * ```ts
 * const ids = new IdAllocator((id) => id.replace(/\W/g, '_'));
 * ids.get('a.b'); // 'a_b'
 * ids.get('a_b'); // 'a_b_2'
 * ```
 */
export class IdAllocator {
  readonly #byId = new Map<string, string>();
  readonly #taken = new Set<string>();
  readonly #sanitize: (id: string) => string;

  constructor(sanitize: (id: string) => string) {
    this.#sanitize = sanitize;
  }

  /** The identifier for `id`, allocating one on first use. */
  get(id: string, preferred: string = id): string {
    const existing = this.#byId.get(id);
    if (existing !== undefined) return existing;
    const base = this.#sanitize(preferred);
    let candidate = base;
    for (let n = 2; this.#taken.has(candidate); n++) {
      candidate = `${base}_${n}`;
    }
    this.#taken.add(candidate);
    this.#byId.set(id, candidate);
    return candidate;
  }
}
