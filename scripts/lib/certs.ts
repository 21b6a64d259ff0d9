import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";

export interface CertificatePaths {
  /** The local certificate authority that signed the server certificate (trust this). */
  caFile: string;
  /** Server certificate chain and key in one PEM, as ejabberd's certfiles want it. */
  serverPemFile: string;
  /** The same certificate and key as separate files (coturn's cert/pkey). */
  certFile: string;
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    throw new Error(`openssl ${args[0]} failed: ${stderr}. Is the 'openssl' package installed?`);
  }
}

/**
 * Makes (once) a private CA and a server certificate for the XMPP domain and the
 * subdomains ejabberd serves (conference., pubsub.), for local and test use only.
 * Production uses real certificates (see README). Reuses what exists and is valid.
 */
export function ensureLocalCertificates(dir: string, domain: string): CertificatePaths {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.pem");
  const serverKey = join(dir, "server.key");
  const serverCsr = join(dir, "server.csr");
  const serverCert = join(dir, "server.crt");
  const serverPemFile = join(dir, "server.pem");
  const extFile = join(dir, "server.ext");

  const paths = { caFile, serverPemFile, certFile: serverCert, keyFile: serverKey };
  if (existsSync(serverPemFile) && existsSync(caFile) && certificateIsUsable(serverCert, domain) && caIsConstrained(caFile)) return paths;

  const names = [domain, `conference.${domain}`, `pubsub.${domain}`];
  const altNames = names.map((name) => `DNS:${name}`);
  if (domain === "localhost") altNames.push("IP:127.0.0.1", "IP:::1");

  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", caKey, "-out", caFile, "-days", "825", "-subj", `/CN=XMPP calls local CA for ${domain}`,
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-addext", caNameConstraints(domain)], dir);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", serverKey, "-out", serverCsr, "-subj", `/CN=${domain}`], dir);
  writeFileSync(extFile, [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    `subjectAltName=${altNames.join(",")}`,
    "",
  ].join("\n"));
  openssl(["x509", "-req", "-in", serverCsr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial",
    "-out", serverCert, "-days", "397", "-sha256", "-extfile", extFile], dir);

  writeFileSync(serverPemFile, readFileSync(serverCert, "utf8") + readFileSync(serverKey, "utf8"));
  for (const secret of [caKey, serverKey, serverPemFile]) chmodSync(secret, 0o600);
  return paths;
}

/**
 * RFC 5280 §4.2.1.10: the CA can sign for the domain (and its subdomains) only, and for
 * loopback addresses when the domain is localhost. People are told to trust this CA in a
 * browser; a leaked ca.key must not impersonate any other site.
 */
export function caNameConstraints(domain: string): string {
  const ips = domain === "localhost"
    ? ["permitted;IP:127.0.0.0/255.0.0.0", "permitted;IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF"]
    : ["excluded;IP:0.0.0.0/0.0.0.0", "excluded;IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0"];
  return `nameConstraints=critical,permitted;DNS:${domain},${ips.join(",")}`;
}

/** CAs made before name constraints were added are replaced (with a new server certificate). */
function caIsConstrained(caFile: string): boolean {
  try {
    return execFileSync("openssl", ["x509", "-in", caFile, "-noout", "-ext", "nameConstraints"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).includes("Permitted");
  } catch {
    return false;
  }
}

function certificateIsUsable(certFile: string, domain: string): boolean {
  if (!existsSync(certFile)) return false;
  const cert = new X509Certificate(readFileSync(certFile));
  const thirtyDays = 30 * 24 * 3600 * 1000;
  return cert.checkHost(domain) !== undefined && Date.parse(cert.validTo) - Date.now() > thirtyDays;
}

/**
 * base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: what Chromium's
 * --ignore-certificate-errors-spki-list takes to trust exactly this key.
 */
export function spkiHash(certPem: string): string {
  const cert = new X509Certificate(certPem);
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}
