// npm start: the local ejabberd (loopback only), two demo accounts that are each
// other's contacts, the echo test-call account, and the web app with hot reload. Ctrl-C stops
// all it started.
import type { ViteDevServer } from "vite";
import { startDevServer } from "./lib/dev-server.ts";
import { startEchoProcess, type EchoProcess } from "./lib/echo.ts";
import { EjabberdInstance } from "./lib/ejabberd.ts";
import { SetupError } from "./lib/errors.ts";
import { ECHO_USER, localDeployment } from "./lib/local-settings.ts";
import { prepareLocalStorage } from "./lib/local-storage.ts";
import { provisionContacts, provisionEcho } from "./lib/provision.ts";
import { tcpPortIsFree } from "./lib/ports.ts";

async function main(): Promise<void> {
  const deployment = localDeployment();
  const { settings } = deployment.instance;

  if (!(await tcpPortIsFree(deployment.webPort))) {
    throw new SetupError(`port ${deployment.webPort} (web app) on 127.0.0.1 is already in use`, "stop what uses it, or choose another port: CALLS_WEB_PORT=<port> npm start");
  }

  let ejabberd = EjabberdInstance.attach(deployment.instance.dir);
  const startedHere = !ejabberd;
  // CALLS_DB=postgres: the local PostgreSQL first (started here, stopped with ejabberd).
  let startedPostgres: Awaited<ReturnType<typeof prepareLocalStorage>>["startedPostgres"];
  if (ejabberd) console.log(`Using the ejabberd already running from ${deployment.instance.dir} (pid ${ejabberd.beamPid}).`);
  else {
    const storage = await prepareLocalStorage(deployment, false);
    startedPostgres = storage.startedPostgres;
    console.log(storage.instance.settings.sql ? `Starting ejabberd with PostgreSQL storage (127.0.0.1:${storage.instance.settings.sql.port})…` : "Starting ejabberd…");
    try {
      ejabberd = await EjabberdInstance.start(storage.instance);
    } catch (error) {
      await startedPostgres?.stop();
      throw error;
    }
  }
  const server = ejabberd;

  let web: ViteDevServer | undefined;
  let echo: EchoProcess | undefined;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await echo?.stop();
    await web?.close();
    if (startedHere) await server.stop();
    await startedPostgres?.stop();
    console.log("Stopped.");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("Ctrl-C"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  try {
    await provisionContacts(server, deployment.demoPasswords);
    await provisionEcho(server, ECHO_USER, deployment.echoPassword, Object.keys(deployment.demoPasswords));
    echo = await startEchoProcess({ service: `ws://127.0.0.1:${settings.ports.httpLoopback}/ws`, jid: `${ECHO_USER}@${settings.domain}`, password: deployment.echoPassword });
    // The browser speaks to ejabberd same-origin; the hop to ejabberd stays on loopback.
    web = await startDevServer({ port: deployment.webPort, wsTarget: `ws://127.0.0.1:${settings.ports.httpLoopback}` });
  } catch (error) {
    await echo?.stop();
    await web?.close();
    if (startedHere) await server.stop();
    await startedPostgres?.stop();
    throw error;
  }

  const url = `http://localhost:${deployment.webPort}/`;
  const domain = settings.domain;
  console.log(`
XMPP calls is running.

  Web app:   ${url}
  Accounts:  ${Object.entries(deployment.demoPasswords).map(([user, password]) => `${user}@${domain}  password ${password}`).join("\n             ")}
             (each other's contacts; open the app in two browser windows, one per account)
  Test call: ${ECHO_USER}@${domain} answers any call from this server's users with their own
             audio and video, a moment later ("Test call" in the app, or call it like a contact)

  XMPP clients (Dino, Conversations…) on this machine: ${domain}, port ${settings.ports.c2s} (STARTTLS),
  certificate signed by the local CA ${deployment.caFile}
  STUN/TURN: 127.0.0.1:${settings.ports.stun} (UDP and TCP)

Press Ctrl-C to stop.`);
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof SetupError ? error.userMessage : error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
