import { defineConfig } from 'vite';

// Served by the gateway at /console/; Preact's JSX compiled by Vite's own esbuild.
export default defineConfig({
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 300 },
});
