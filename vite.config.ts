import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is served from app://socket-inspector/ in Electron and from the browser host
// over HTTP, so every asset path is relative.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
});
