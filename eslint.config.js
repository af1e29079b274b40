// ESLint with typescript-eslint's type-aware rules over lib/, workers/, test/ and bench/ (formatting is Prettier's job).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'tunefeed-demo/**', '**/*.cjs', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './.ci/tsconfig.typecheck.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // tap runs subtests itself: t.test()/t.rejects() promises are tracked by the runner, not floating.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafePromises: [
            { from: 'package', package: '@tapjs/core', name: ['PromiseWithSubtest', 'TapPromise'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // async functions without await are common in tap callbacks and stream hooks; the promise rules above cover misuse.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  // Plain Node scripts (CI helpers, the dashboard page is browser code with its own globals).
  { files: ['.ci/**/*.mjs'], languageOptions: { globals: { console: 'readonly', process: 'readonly' } } },
);
