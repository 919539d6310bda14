import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer build: renderer/ → dist/renderer, with relative asset URLs so the same files load
// from file:// in Electron and from http://127.0.0.1:PORT in browser mode.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // keep everything as files (no inline data: scripts): the CSP allows scripts from 'self' only
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // sigma + graphology make one big chunk on purpose; it loads from disk/loopback, not a network
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
});
