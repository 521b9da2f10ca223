// Vite build and dev-server settings for the console (served by the engine at /console).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

declare const process: { env: Record<string, string | undefined> };

const target = process.env.RASURA_URL || 'http://127.0.0.1:8080';
const proxied = { target, changeOrigin: true, ws: true };

export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/v1': proxied,
      '/v2': proxied,
      '/v1alpha1': proxied,
      '/healthz': proxied,
      '/console/api/codegen': proxied,
    },
  },
});
