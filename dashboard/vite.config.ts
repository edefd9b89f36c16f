/**
 * Builds the dashboard into dist/: static files for any host. The project URL
 * and publishable key are read at run time from /config.js (see public/config.js),
 * so one build serves any project.
 */
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  plugins: [react()],
  server: { fs: { allow: [".."] } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
});
