// The layering DESIGN.md draws, checked on every `npm test` so the picture cannot drift:
// formats/* and api/ call core/; core/ calls store/ and blobs/; only server.ts mounts adapters.
module.exports = {
  forbidden: [
    {
      name: 'only-server-imports-adapters',
      comment: 'Nothing but server.ts (through formats/index.ts) imports a format adapter.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/formats/', '^src/server\\.ts$'] },
      to: { path: '^src/formats/(npm|pypi|maven|generic)/' },
    },
    {
      name: 'adapters-do-not-import-each-other',
      severity: 'error',
      from: { path: '^src/formats/(npm|pypi|maven|generic)/' },
      to: { path: '^src/formats/(npm|pypi|maven|generic)/', pathNot: '^src/formats/$1/' },
    },
    {
      name: 'faces-do-not-touch-sql',
      comment: 'The HTTP faces go through core/ (and auth/), never straight to store/ or blobs/.',
      severity: 'error',
      from: { path: '^src/(api|formats)/' },
      to: { path: '^src/(store|blobs)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'core-is-plain',
      comment: 'core/ knows nothing of HTTP, auth, the faces or the server.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: ['^src/(api|formats|auth|events|cli|server\\.ts)', '^koa', '^@koa/'] },
    },
    {
      name: 'store-and-blobs-are-leaves',
      severity: 'error',
      from: { path: '^src/(store|blobs)/' },
      to: { path: '^src/(api|formats|auth|events|cli|core)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/bench/' },
  },
};
