import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.CADRE_URL ?? 'http://127.0.0.1:4100';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true },
  server: {
    proxy: { '/api': { target: api, ws: true }, '/healthz': api, '/readyz': api },
  },
});
