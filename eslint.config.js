// Flat config: typescript-eslint's recommended rules (no type-aware rules: fast, and pragmatic for
// a tree many people write at once), react-hooks for the renderer, and a second guard (after the
// renderer tsconfig) against Node/Electron imports in renderer code. Formatting is prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      '.tsbuild/**',
      'test-results/**',
      'playwright-report/**',
      'e2e/.artifacts/**',
      '.lab/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // unused code and let-vs-const are worth seeing, not worth failing a build over
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'warn',
      'prefer-const': 'warn',
      // `ok ? resolve() : reject()` and `a && b()` as statements are common and harmless
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      'no-control-regex': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^node:',
              message: 'The renderer is sandboxed: no Node modules. Ask the main side through renderer/src/api.',
            },
            {
              regex: '^(electron|fs|path|child_process|os|net|http|https|crypto|worker_threads)(/.*)?$',
              message: 'The renderer is sandboxed: no Node or Electron modules. Use renderer/src/api.',
            },
            {
              regex: '(^|/)main/(?!common/)',
              message: 'The renderer may only import main/common (type-only). Main-side code stays on the main side.',
            },
          ],
        },
      ],
    },
  },
  {
    // test data mimics foreign exports (e.g. nanosecond timestamps as JSON numbers) on purpose
    files: ['**/*.test.ts', '**/*.spec.ts'],
    rules: { 'no-loss-of-precision': 'off' },
  },
);
