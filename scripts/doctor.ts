// npm run doctor [-- --jid USER@DOMAIN --password PW [--service wss://…/ws] [--ca FILE] [--json]]
// Without --jid it checks the local deployment as its first demo account.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatReport, runDoctor, type CheckResult, type DoctorOptions } from "./lib/doctor/checks.ts";
import { SetupError } from "./lib/errors.ts";
import { DEMO_USERS, localDeployment } from "./lib/local-settings.ts";
import { localDb, runningLocalPostgres } from "./lib/local-storage.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jid: { type: "string" }, password: { type: "string" }, service: { type: "string" },
      ca: { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run doctor -- [--jid USER@DOMAIN --password PW] [--service wss://HOST/ws] [--ca CA.pem] [--json]");
    return;
  }
  let options: DoctorOptions;
  let storage: CheckResult | undefined;
  if (values.jid) {
    const password = values.password ?? process.env.XMPP_PASSWORD;
    if (!password) throw new SetupError("--jid needs a password", "pass it with --password, or XMPP_PASSWORD=… in the environment (kept out of the shell history)");
    options = { jid: values.jid, password, service: values.service, caPem: values.ca ? readFileSync(values.ca, "utf8") : undefined };
  } else {
    const local = localDeployment();
    const user = DEMO_USERS[0];
    const { settings } = local.instance;
    options = {
      jid: `${user}@${settings.domain}`,
      password: local.demoPasswords[user]!,
      service: values.service ?? `wss://${settings.domain}:${settings.ports.https}/ws`,
      caPem: readFileSync(local.caFile, "utf8"),
      resolveHost: (host) => (host === settings.domain ? "127.0.0.1" : host),
    };
    storage = localStorageCheck(local);
  }
  const results = await runDoctor(options);
  if (storage) results.unshift(storage);
  console.log(values.json ? JSON.stringify(results, null, 2) : formatReport(results));
  if (results.some((r) => r.verdict === "fail")) process.exitCode = 1;
}

/** The local storage CALLS_DB names: Mnesia inside ejabberd, or the scripts' PostgreSQL. */
function localStorageCheck(local: ReturnType<typeof localDeployment>): CheckResult {
  if (localDb() === "mnesia") return { name: "Storage", verdict: "pass", detail: "Mnesia, embedded in ejabberd (CALLS_DB=postgres for PostgreSQL)" };
  const postgres = runningLocalPostgres(local);
  return postgres
    ? { name: "Storage", verdict: "pass", detail: `PostgreSQL on 127.0.0.1:${postgres.port} (pid ${postgres.pid}), new SQL schema` }
    : { name: "Storage", verdict: "fail", detail: `CALLS_DB=postgres, but no PostgreSQL runs from ${local.dataDir}/postgres`, hint: "start it with CALLS_DB=postgres npm run ejabberd -- start (needs the postgresql and erlang-p1-pgsql packages)" };
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof SetupError ? error.userMessage : error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
