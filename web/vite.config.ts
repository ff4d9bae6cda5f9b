import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The web workspace: one page app, built into dist/web and served by the API process. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // form-js-editor pins its own preact; two copies break hooks ("reading 'context'"). One copy for all.
  resolve: { dedupe: ['preact'] },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000', '/auth': 'http://127.0.0.1:3000' },
  },
});
