// The dashboard (index.html) and the agent page (agent.html), built into web/dist, which the server serves at / and
// /agent. Both talk only to the public HTTP API.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    rollupOptions: { input: { index: resolve(root, 'index.html'), agent: resolve(root, 'agent.html') } },
  },
});
