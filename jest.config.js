// Jest 30 in native ESM mode (NODE_OPTIONS=--experimental-vm-modules), TypeScript through SWC
// with legacy decorators and decorator metadata, which Nest's constructor injection needs.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
    },
    module: { type: 'es6' },
  },
];

// @fastify/static (CommonJS) require()s content-disposition 3, an ES module. Node 20 loads
// that natively, but Jest's module loader cannot require() ESM before Node 24.9; compiling that
// one package lets the serve-static tests run on Fastify. A required file is compiled to
// CommonJS (@swc/jest picks the module type from how Jest loads it).
const ESM_ONLY_DEPENDENCIES = ['content-disposition'];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': swc,
    [`/node_modules/(?:.+/node_modules/)?(?:${ESM_ONLY_DEPENDENCIES.join('|')})/.+\\.js$`]: swc,
  },
  transformIgnorePatterns: [`/node_modules/(?!(?:.+/node_modules/)?(?:${ESM_ONLY_DEPENDENCIES.join('|')})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/core/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};
