// The local CA (README: trust it in a browser to use the app over HTTPS locally) signs for its
// own domain only: a leaked ca.key must not impersonate other sites (issue 15, item 8).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureLocalCertificates } from "../../../scripts/lib/certs.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Signs a server certificate for `san` with the local CA's key, as someone holding ca.key could. */
function forge(dir: string, san: string): string {
  const ext = join(dir, `forged-${dirs.length}.ext`);
  writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
  const key = join(dir, "forged.key");
  const csr = join(dir, "forged.csr");
  const crt = join(dir, `forged-${san.replace(/\W/g, "_")}.crt`);
  execFileSync("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=forged"], { stdio: "ignore" });
  execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"), "-CAcreateserial", "-out", crt, "-days", "30", "-extfile", ext], { stdio: "ignore" });
  return crt;
}

function verifies(dir: string, crt: string): boolean {
  return spawnSync("openssl", ["verify", "-CAfile", join(dir, "ca.pem"), crt], { encoding: "utf8" }).status === 0;
}

describe.each(["localhost", "calls.example"])("the local CA for %s", (domain) => {
  const dir = mkdtempSync(join(tmpdir(), "calls-ca-"));
  dirs.push(dir);
  const certs = ensureLocalCertificates(dir, domain);

  it("vouches for the server certificate it made", () => {
    expect(verifies(dir, certs.certFile)).toBe(true);
  });

  it("vouches for its domain's subdomains", () => {
    expect(verifies(dir, forge(dir, `DNS:conference.${domain}`))).toBe(true);
  });

  it.each(["DNS:example.com", "DNS:www.bank.example", "DNS:localhost.evil.example", "IP:203.0.113.5"])("vouches for nothing else, even with its key: %s", (san) => {
    expect(verifies(dir, forge(dir, san))).toBe(false);
  });
});
