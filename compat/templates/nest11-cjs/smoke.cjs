// Boots the app as tsc built it (run.sh compiles it into .compat-out/) under plain Node,
// outside Jest's module registry, to prove that a real CommonJS `require('nest-cross-origin')`
// resolves to dist/cjs and works end to end.
'use strict';
const assert = require('node:assert/strict');
const { NestFactory } = require('@nestjs/core');
const { AppModule } = require('./.compat-out/src/app.module.js');

const resolved = require.resolve('nest-cross-origin');
assert.match(resolved, /nest-cross-origin[\\/]dist[\\/]cjs[\\/]index\.js$/);

(async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  try {
    const url = await app.getUrl();
    const res = await fetch(`${url}/cats`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    // The library must have been loaded from the CJS build only, never the ESM one.
    const loaded = Object.keys(require.cache).filter((f) => /nest-cross-origin[\\/]dist[\\/]/.test(f));
    assert.ok(loaded.length > 0 && loaded.every((f) => /[\\/]dist[\\/]cjs[\\/]/.test(f)), loaded.join('\n'));
    console.log(`smoke: plain-node require OK (${resolved})`);
  } finally {
    await app.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
