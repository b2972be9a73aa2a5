// The web console's build (docs/console.md): `vite build console` from the repository root writes
// dist/console, which `osd server` serves at `/`. `vite console` is the dev server, with /api
// proxied to a running site server (OSD_SERVER, default http://127.0.0.1:8450).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

declare const process: { env: Record<string, string | undefined> };

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
    // A loaded machine makes plugins slow; that is not the build's problem (no timing warnings).
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: {
    proxy: { '/api': process.env.OSD_SERVER ?? 'http://127.0.0.1:8450' },
  },
});
