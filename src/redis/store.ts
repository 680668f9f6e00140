/** The store seam lives in the core (type-only); the Redis store implements these types. */
export type * from '../service/store-seam.js';
