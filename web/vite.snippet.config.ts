// The browser snippet (src/snippet.ts) as one classic script, web/dist/snippet.js, which the server serves at
// /snippet.js for other sites' pages. Built after the pages (whose build empties web/dist).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: false,
    lib: {
      entry: resolve(root, 'src/snippet.ts'),
      name: 'nextbestSnippet',
      formats: ['iife'],
      fileName: () => 'snippet.js',
    },
  },
});
