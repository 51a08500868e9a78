import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dashboard is served by the hosts at `/`; in development `vite` proxies the API to a host
// given by SIGNALCRAFT_API (default http://127.0.0.1:8080).
const api = process.env.SIGNALCRAFT_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: { '/api': { target: api, changeOrigin: false }, '/webhooks': api },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
