// coturn as the alternative TURN server, for local testing (see README):
//   npm run coturn -- start | stop | status | denied-peers
// It shares the local deployment's TURN secret, so the credentials ejabberd hands out
// (XEP-0215) work on it; start ejabberd with CALLS_EXTERNAL_TURN to announce it.
import { CoturnInstance } from "./lib/coturn.ts";
import { coturnDeniedPeerLines } from "./lib/coturn-peers.ts";
import { productionTurnBlacklist } from "./lib/ejabberd-config.ts";
import { SetupError } from "./lib/errors.ts";
import { localCoturn, localDeployment } from "./lib/local-settings.ts";

async function main(command: string | undefined): Promise<void> {
  if (command === "denied-peers") {
    // The production blacklist as coturn's denied-peer-ip lines (server-config/coturn/turnserver.conf).
    process.stdout.write(coturnDeniedPeerLines(productionTurnBlacklist()));
    return;
  }
  const options = localCoturn(localDeployment());
  switch (command) {
    case "start": {
      const instance = await CoturnInstance.start({ ...options, detached: true });
      console.log(`coturn started (pid ${instance.pid}) on ${options.listenIp}:${options.port} (UDP, TCP), TLS ${options.tlsPort}; log: ${options.dir}/turnserver.log`);
      console.log(`Announce it instead of ejabberd's TURN: CALLS_EXTERNAL_TURN=${options.listenIp}:${options.port}:${options.tlsPort} npm start`);
      return;
    }
    case "stop": {
      const instance = CoturnInstance.attach(options.dir);
      if (!instance) console.log("coturn is not running");
      else {
        await instance.stop();
        console.log(`coturn stopped (pid ${instance.pid})`);
      }
      return;
    }
    case "status": {
      const instance = CoturnInstance.attach(options.dir);
      console.log(instance ? `running: pid ${instance.pid} on ${options.listenIp}:${options.port}` : "coturn is not running");
      if (!instance) process.exitCode = 3;
      return;
    }
    default:
      console.log("usage: npm run coturn -- start | stop | status | denied-peers");
      if (command !== undefined) process.exitCode = 2;
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`error: ${error instanceof SetupError ? error.userMessage : error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
