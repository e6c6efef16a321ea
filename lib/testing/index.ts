// nest-cross-origin/testing: helpers for users' own test suites.
export { expectCors, type CorsVerdict, type FetchOptions, type PreflightOptions } from './expect-cors.js';
