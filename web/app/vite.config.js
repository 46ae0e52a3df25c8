// Vite and Vitest configuration for the browser app in web/app.
//
// Two pages are built into web/dist, which the Go side embeds: index.html
// (the chat app) and live.html (the read-only wall view, served by the
// server at /rooms/{room}/live, hence the absolute base). The output must
// run under the CSP "default-src 'self'; connect-src 'self' ws: wss:", so
// nothing is inlined: no data: URIs for assets and no modulepreload
// polyfill (it would be one more script to audit; every browser that runs
// the app supports modulepreload).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  // Caches go to the repository's node_modules, not web/app/node_modules.
  cacheDir: fileURLToPath(new URL('../../node_modules/.vite', import.meta.url)),
  plugins: [vue()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: false,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    sourcemap: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        live: fileURLToPath(new URL('live.html', import.meta.url)),
      },
      output: {
        // Vue is shared by both pages; STOMP goes only into the chat app's.
        manualChunks: (id) => (/node_modules\/(@vue|vue)\//.test(id) ? 'vue' : undefined),
      },
    },
  },
  test: {
    root,
    environment: 'happy-dom',
    include: ['src/**/*.test.js'],
    restoreMocks: true,
  },
});
