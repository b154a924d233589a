// The workbench's build: static files in dist/, every asset from npm (no CDN at run time).
// `npm run dev` serves the sources on 127.0.0.1:5173 and sends /api/… and /dashboard/… to the proxy
// (WORKBENCH_PROXY, default http://127.0.0.1:8000), so the pages talk to the same routes as in production.
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

const proxy = process.env.WORKBENCH_PROXY ?? 'http://127.0.0.1:8000'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': proxy, '/dashboard': proxy },
  },
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
  },
})
