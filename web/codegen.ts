import type { CodegenConfig } from '@graphql-codegen/cli';

// Types of the schema and of every operation in src/ (gql`...` templates).
// `npm run codegen:check` fails when src/api/generated.ts is stale.
const config: CodegenConfig = {
  schema: '../api/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/api/generated.ts'],
  generates: {
    'src/api/generated.ts': {
      plugins: ['typescript-operations'],
      config: {
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        scalars: { DateTime: 'string', JSON: 'unknown' },
        skipTypename: true,
        useTypeImports: true,
      },
    },
  },
  hooks: {},
};
export default config;
