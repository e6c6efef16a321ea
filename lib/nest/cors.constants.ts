/** Injection token of the options given to `CorsModule.forRoot()` / `forRootAsync()`. */
export const CORS_MODULE_OPTIONS = 'nest-cross-origin:module-options';

/** Metadata key written by `@CrossOrigin()` on a controller class or a handler. */
export const CROSS_ORIGIN_METADATA = 'nest-cross-origin:cross-origin';

/**
 * Metadata key the library writes on every controller method at start-up, naming its route
 * policy. Nest copies a handler's metadata onto the function it registers with the router, so
 * the route can be recognised when the adapter receives it, whatever path it was given.
 */
export const ROUTE_POLICY_METADATA = 'nest-cross-origin:route-policy';
