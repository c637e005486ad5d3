// The layering DESIGN.md draws, checked on every `npm test` so the picture cannot drift:
// formats/* and api/ call core/ (a format also its own store/<format>.ts); core/ calls store/, blobs/
// and upstream/; only server.ts mounts adapters.
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
      comment: 'The HTTP faces (and the web UI) go through core/ (and auth/), never straight to store/ or blobs/ ...',
      severity: 'error',
      from: { path: '^src/(api|formats/shared|ui)/' },
      to: { path: '^src/(store|blobs)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'a-format-uses-only-its-own-tables',
      comment: '... except that a format may query its own tables in store/<format>.ts, and no other format\'s.',
      severity: 'error',
      from: { path: '^src/formats/(npm|pypi|maven|generic)/' },
      to: { path: '^src/(store|blobs)/', pathNot: '^src/store/$1\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'upstream-is-a-leaf',
      comment: 'upstream/ (clients of external connections) knows URLs and bytes, nothing of Hoard.',
      severity: 'error',
      from: { path: '^src/upstream/' },
      to: { path: '^src/(api|formats|auth|events|cli|core|store|blobs|ui)/' },
    },
    {
      name: 'core-is-plain',
      comment: 'core/ knows nothing of HTTP, auth, the faces or the server.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: ['^src/(api|formats|auth|events|cli|ui|server\\.ts)', '^koa', '^@koa/', '^undici'] },
    },
    {
      name: 'store-and-blobs-are-leaves',
      severity: 'error',
      from: { path: '^src/(store|blobs)/' },
      to: { path: '^src/(api|formats|auth|events|cli|core|upstream|ui)/' },
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
