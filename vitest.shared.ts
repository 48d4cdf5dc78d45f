// Tests run the packages' TypeScript sources: the `@switchyard/source` export condition points each
// workspace package at src/ instead of dist/, so no build is needed before testing.
export const sourceResolve = {
  resolve: { conditions: ['@switchyard/source', 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: ['@switchyard/source', 'module', 'node', 'development|production'] } },
};
