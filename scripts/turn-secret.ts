// npm run turn-secret -- rotate
// Replaces the TURN REST API secret of the local deployment. A running ejabberd takes
// it by reloading its configuration (no restart: signed-in clients stay online, and
// calls on direct paths are untouched). New XEP-0215 credentials use the new secret at
// once; credentials made with the old one are refused from then on by ejabberd's TURN,
// which validates with one secret only (relayed calls then recover by an ICE restart
// with fresh credentials). coturn, whose config lists the old secret beside the new one
// for a day, keeps accepting both.
import { CoturnInstance } from "./lib/coturn.ts";
import { EjabberdInstance } from "./lib/ejabberd.ts";
import { SetupError } from "./lib/errors.ts";
import { localCoturn, localDeployment, secretsFile } from "./lib/local-settings.ts";
import { rotateTurnSecret } from "./lib/secrets.ts";

async function main(command: string | undefined): Promise<void> {
  if (command !== "rotate") {
    console.log("usage: npm run turn-secret -- rotate");
    if (command !== undefined) process.exitCode = 2;
    return;
  }
  const before = localDeployment();
  rotateTurnSecret(secretsFile(before.dataDir));
  const after = localDeployment();
  console.log(`TURN secret rotated in ${secretsFile(after.dataDir)}.`);
  const ejabberd = EjabberdInstance.attach(after.instance.dir);
  if (ejabberd) {
    await ejabberd.reconfigure(after.instance.settings);
    console.log(`ejabberd (pid ${ejabberd.beamPid}) reloaded its configuration: new credentials use the new secret.`);
  } else {
    console.log("ejabberd is not running: it uses the new secret when started.");
  }
  const coturn = localCoturn(after);
  if (CoturnInstance.attach(coturn.dir)) {
    CoturnInstance.writeConfig(coturn);
    console.log("coturn's configuration now lists the new and the previous secret; restart it (npm run coturn -- stop, start) when no relayed call is running.");
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`error: ${error instanceof SetupError ? error.userMessage : error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
