#!/usr/bin/env node
// `npx lantern` entry: runs the TypeScript CLI through tsx's loader (no build step needed).
import { register } from 'tsx/esm/api';
register();
await import('./index.ts');
