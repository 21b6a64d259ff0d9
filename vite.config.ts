import { realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const PROJECT_DIR = fileURLToPath(new URL(".", import.meta.url));

// The web client: served from client/ (dev server by `npm start`), built into dist/.
export default defineConfig({
  root: "client",
  publicDir: "public",
  server: {
    // The dev server serves any allowed file at /@fs/…: by default that is the whole
    // project, with .data/ (TURN secret, Erlang cookie, CA key) in it. Only the client
    // and its dependencies (node_modules may be a symlink: its real path) are served.
    fs: {
      strict: true,
      allow: [join(PROJECT_DIR, "client"), realpathSync(join(PROJECT_DIR, "node_modules"))],
      deny: [".env", ".env.*", "*.{crt,pem,key,p12,pfx}", "**/.data/**", "**/.git/**", ".erlang.cookie", "secrets.json", "vm.args", "ejabberd.yml", "turnserver.conf"],
    },
  },
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
});
