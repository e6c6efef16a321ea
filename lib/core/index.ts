// The framework-free core: options → validated, compiled policy; a request → headers.
// Only lib/nest imports this barrel; nothing here knows of Nest, Express or Fastify.
export * from './options.js';
export * from './errors.js';
export * from './tokens.js';
export * from './escape.js';
export * from './origins.js';
export * from './origin-decision.js';
export * from './headers.js';
export * from './merge.js';
export * from './compile.js';
export * from './safety.js';
export * from './resources.js';
export * from './decide.js';
export * from './decision.js';
export * from './decision-event.js';
export * from './route-resources.js';
export * from './handshake.js';
export * from './policy-set.js';
export * from './origin-cache.js';
export * from './canonical.js';
