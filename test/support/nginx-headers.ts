import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const NGINX_TEMPLATE = fileURLToPath(new URL("../../server-config/docker/nginx/default.conf.template", import.meta.url));

/** The server block's own `add_header NAME VALUE always;` lines (outside any location), lower-case name → value. */
export function nginxServerHeaders(template = readFileSync(NGINX_TEMPLATE, "utf8")): Map<string, string> {
  const headers = new Map<string, string>();
  let depth = 0;
  for (const line of template.split("\n")) {
    const trimmed = line.trim();
    if (depth === 1) {
      const match = /^add_header\s+(\S+)\s+(.+?)\s+always;$/.exec(trimmed);
      if (match) headers.set(match[1]!.toLowerCase(), match[2]!.replace(/^"|"$/g, ""));
    }
    depth += (trimmed.match(/{/g) ?? []).length - (trimmed.match(/}/g) ?? []).length;
  }
  return headers;
}
