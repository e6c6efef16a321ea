// Boots the app as tsc built it (run.sh compiles it into .compat-out/) under plain Node,
// outside Vitest's transforms, to prove that a real ESM `import 'nest-cross-origin'` resolves
// to the ESM build and works end to end.
import assert from 'node:assert/strict';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './.compat-out/src/app.module.js';

const resolved = import.meta.resolve('nest-cross-origin');
assert.match(resolved, /\/nest-cross-origin\/dist\/index\.js$/);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
try {
  const url = await app.getUrl();
  const res = await fetch(`${url}/cats`, { headers: { origin: 'https://app.example.com' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
  console.log(`smoke: plain-node import OK (${resolved})`);
} finally {
  await app.close();
}
