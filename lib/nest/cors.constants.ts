// Metadata keys the library writes.

/** Metadata key written by `@CrossOrigin()` on a controller class or a handler. */
export const CROSS_ORIGIN_METADATA = 'nest-cross-origin:cross-origin';
