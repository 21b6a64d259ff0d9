// Manages the local ejabberd of this checkout (data under CALLS_DATA_DIR, default .data/).
//   npm run ejabberd -- start | stop | status
//   npm run ejabberd -- register USER [PASSWORD] | befriend USER1 USER2 | accounts | roster USER
import { EjabberdInstance } from "./lib/ejabberd.ts";
import { SetupError } from "./lib/errors.ts";
import { localDeployment } from "./lib/local-settings.ts";
import { prepareLocalStorage, runningLocalPostgres } from "./lib/local-storage.ts";
import { provisionContacts } from "./lib/provision.ts";
import { randomPassword } from "./lib/secrets.ts";

const USAGE = `usage: npm run ejabberd -- <command>
  start                      start the local ejabberd in the background
  stop                       stop it
  status                     say whether it runs, and where
  register USER [PASSWORD]   create an account (a random password is printed if none is given)
  befriend USER1 USER2       make two accounts each other's contacts (subscription both)
  accounts                   list the accounts
  roster USER                list an account's contacts`;

function running(dir: string): EjabberdInstance {
  const instance = EjabberdInstance.attach(dir);
  if (!instance) throw new SetupError("the local ejabberd is not running", "start it: npm run ejabberd -- start (or npm start)");
  return instance;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const deployment = localDeployment();
  const dir = deployment.instance.dir;
  switch (command) {
    case "start": {
      const storage = await prepareLocalStorage(deployment, true);
      let instance: EjabberdInstance;
      try {
        instance = await EjabberdInstance.start({ ...storage.instance, detached: true });
      } catch (error) {
        await storage.startedPostgres?.stop();
        throw error;
      }
      if (storage.instance.settings.sql) console.log(`storage: PostgreSQL on 127.0.0.1:${storage.instance.settings.sql.port} (data in ${deployment.dataDir}/postgres)`);
      await provisionContacts(instance, deployment.demoPasswords);
      console.log(`ejabberd started (pid ${instance.beamPid}, node ${instance.nodeName}, domain ${instance.domain}); logs: ${instance.logFile}`);
      console.log(`demo accounts: ${Object.keys(deployment.demoPasswords).map((u) => `${u}@${instance.domain}`).join(", ")} (passwords in ${deployment.dataDir}/secrets.json)`);
      return;
    }
    case "stop": {
      const instance = EjabberdInstance.attach(dir);
      if (instance) {
        await instance.stop();
        console.log(`ejabberd stopped (pid ${instance.beamPid})`);
      } else console.log("ejabberd is not running");
      const postgres = runningLocalPostgres(deployment);
      if (postgres) {
        await postgres.stop();
        console.log(`PostgreSQL stopped (pid ${postgres.pid})`);
      }
      return;
    }
    case "status": {
      const instance = EjabberdInstance.attach(dir);
      if (!instance) {
        console.log("ejabberd is not running");
        process.exitCode = 3;
        return;
      }
      const status = await instance.api<string>("status", {});
      console.log(`running: pid ${instance.beamPid}, node ${instance.nodeName}, domain ${instance.domain}\n${status}`);
      return;
    }
    case "register": {
      const [user, given] = args;
      if (!user) throw new SetupError("register needs a user name", USAGE);
      const password = given ?? randomPassword();
      await running(dir).register(user, password);
      console.log(`registered ${user}@${deployment.instance.settings.domain}${given ? "" : ` with password ${password}`}`);
      return;
    }
    case "befriend": {
      const [a, b] = args;
      if (!a || !b) throw new SetupError("befriend needs two user names", USAGE);
      await running(dir).makeContacts(a, b);
      console.log(`${a} and ${b} are now each other's contacts`);
      return;
    }
    case "accounts": {
      for (const user of await running(dir).registeredUsers()) console.log(`${user}@${deployment.instance.settings.domain}`);
      return;
    }
    case "roster": {
      const [user] = args;
      if (!user) throw new SetupError("roster needs a user name", USAGE);
      for (const item of await running(dir).roster(user)) console.log(`${item.jid}\t${item.subscription}\t${item.nick}`);
      return;
    }
    default:
      console.log(USAGE);
      if (command !== undefined && command !== "help") process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof SetupError) console.error(`error: ${error.userMessage}`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
