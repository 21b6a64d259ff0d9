import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NGINX_TEMPLATE, nginxServerHeaders } from "../../support/nginx-headers.ts";

const template = readFileSync(NGINX_TEMPLATE, "utf8");

/** The bodies of the location blocks. */
function locations(): string[] {
  return [...template.matchAll(/location\s+[^{]+{([^}]*)}/g)].map((m) => m[1]!);
}

describe("the production nginx configuration (web app and host-meta)", () => {
  const headers = nginxServerHeaders(template);

  it("forbids framing, so the call buttons cannot be clickjacked", () => {
    expect(headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(headers.get("x-frame-options")).toBe("DENY");
  });

  it("lets the page run only its own scripts and styles, and talk over TLS only", () => {
    const csp = headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).toMatch(/base-uri 'none'/);
    expect(csp).toMatch(/connect-src 'self' https: wss:(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\bws:|\bhttp:/);
  });

  it("sends no referrer, HSTS, nosniff and a camera/microphone policy for this origin", () => {
    expect(headers.get("referrer-policy")).toBe("no-referrer");
    expect(headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(headers.get("x-content-type-options")).toBe("nosniff");
    expect(headers.get("permissions-policy")).toContain("camera=(self), microphone=(self)");
  });

  // nginx: add_header in a location replaces every add_header inherited from the server.
  it("sets no header inside a location, so every location keeps the server's headers", () => {
    expect(locations().length).toBeGreaterThanOrEqual(3);
    for (const body of locations()) expect(body).not.toMatch(/add_header/);
  });

  it("allows cross-origin reads of host-meta only", () => {
    expect(headers.get("access-control-allow-origin")).toBe("$calls_cors_origin");
    const map = /map \$uri \$calls_cors_origin {([^}]*)}/.exec(template)![1]!;
    expect(map).toMatch(/\/\.well-known\/host-meta\s+"\*";/);
    expect(map).toMatch(/\/\.well-known\/host-meta\.json\s+"\*";/);
    expect(map).toMatch(/default\s+"";/);
  });
});
