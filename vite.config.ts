import { defineConfig } from "vite";

// The web client: served from client/ (dev server by `npm start`), built into dist/.
export default defineConfig({
  root: "client",
  publicDir: "public",
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
});
