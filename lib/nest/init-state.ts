// Whether each app has been initialised, keyed by its HTTP adapter, for `expectCors`.
//
// The CORS hook answers from the moment the app is created, but Nest registers routes only in
// `app.init()` (which `listen()` calls), so before it every request 404s, with CORS headers.
// A test helper that described such an app would let a test pass against nothing. Nest keeps
// its own flag protected; the public signals are the HTTP adapter being set (HttpAdapterHost)
// and the lifecycle hooks, which CorsService feeds in here. No Nest import, so that
// `nest-cross-origin/testing` stays light.

const initialised = new WeakMap<object, boolean>();

/** The app using this adapter exists and has not been initialised yet. */
export function markCreated(adapter: object): void {
  if (!initialised.has(adapter)) initialised.set(adapter, false);
}

/** The app using this adapter has run its bootstrap hooks: its routes are registered. */
export function markInitialised(adapter: object): void {
  initialised.set(adapter, true);
}

/** `true`/`false` for an app with CorsModule; `undefined` when there is no way to tell. */
export function isInitialised(adapter: object): boolean | undefined {
  return initialised.get(adapter);
}
