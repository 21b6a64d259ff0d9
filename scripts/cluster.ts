// A local ejabberd cluster of this checkout (data under CALLS_DATA_DIR/cluster, default .data/cluster/).
//   npm run cluster -- start [N] | stop | status | add | remove NODE
import { join } from "node:path";
import { Cluster, type ClusterOptions, type NodePorts } from "./lib/cluster.ts";
import { SetupError } from "./lib/errors.ts";
import { DEMO_USERS, PROJECT_DIR } from "./lib/local-settings.ts";
import { provisionContacts } from "./lib/provision.ts";
import { loadOrCreateSecrets } from "./lib/secrets.ts";

const USAGE = `usage: npm run cluster -- <command>
  start [N]      start the cluster with N nodes (default 2; recorded nodes restart, the last stopped first)
  stop           stop every node (node 1 last), then the cluster's epmd
  status         members, their endpoints and sessions
  add            start one more node and join it to the cluster
  remove NODE    take a node out of the cluster for good (NODE: its index or node name)
Ports: epmd on CALLS_CLUSTER_BASE_PORT (default 5700); node i uses BASE+10i … BASE+10i+7
(c2s, c2s TLS, HTTPS/WebSocket, loopback HTTP, STUN/TURN, TURNS, Erlang distribution, loopback API) and
the TURN relay range CALLS_CLUSTER_TURN_BASE+100(i-1) … +99 (default base 50000).`;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65000) throw new SetupError(`${name}=${raw} is not a port number`, `set ${name} to a number between 1 and 65000`);
  return value;
}

function localClusterOptions(): ClusterOptions {
  const dataDir = process.env.CALLS_DATA_DIR || join(PROJECT_DIR, ".data");
  const dir = join(dataDir, "cluster");
  const base = envNumber("CALLS_CLUSTER_BASE_PORT", 5700);
  const turnBase = envNumber("CALLS_CLUSTER_TURN_BASE", 50000);
  const secrets = loadOrCreateSecrets(join(dir, "secrets.json"), DEMO_USERS);
  return {
    dir,
    domain: process.env.CALLS_DOMAIN || "localhost",
    cookie: secrets.erlangCookie,
    turnSecret: secrets.turnSecret,
    epmdPort: base,
    detached: true,
    async allocatePorts(index): Promise<NodePorts> {
      const p = base + 10 * index;
      const turnMin = turnBase + 100 * (index - 1);
      return {
        listeners: { c2s: p, c2sTls: p + 1, https: p + 2, httpLoopback: p + 3, api: p + 7, stun: p + 4, turns: p + 5, turnMin, turnMax: turnMin + 99 },
        dist: p + 6,
      };
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  const options = localClusterOptions();
  const cluster = Cluster.open(options);
  switch (command) {
    case "start": {
      const size = args[0] === undefined ? Math.max(2, cluster.nodes.length) : Number(args[0]);
      if (!Number.isInteger(size) || size < 1 || size > 9) throw new SetupError(`start takes a node count from 1 to 9, not ${args[0]}`, USAGE);
      await cluster.start(size);
      const demo = loadOrCreateSecrets(join(options.dir, "secrets.json"), DEMO_USERS).demoPasswords;
      await provisionContacts(cluster.running[0]!, demo);
      await printStatus(cluster);
      console.log(`demo accounts: ${DEMO_USERS.map((u) => `${u}@${cluster.domain}`).join(", ")} (passwords in ${options.dir}/secrets.json)`);
      return;
    }
    case "stop": {
      if (cluster.running.length === 0) console.log("no cluster node is running");
      await cluster.stop();
      console.log(`cluster of ${cluster.nodes.length} node(s) stopped`);
      return;
    }
    case "status": {
      if (cluster.running.length === 0) {
        console.log(cluster.nodes.length ? `cluster of ${cluster.nodes.length} nodes, none running` : "no cluster here");
        process.exitCode = 3;
        return;
      }
      await printStatus(cluster);
      return;
    }
    case "add": {
      if (cluster.running.length === 0) throw new SetupError("the cluster is not running", "start it first: npm run cluster -- start");
      const instance = await cluster.addNode();
      console.log(`added ${instance.nodeName}`);
      await printStatus(cluster);
      return;
    }
    case "remove": {
      const [node] = args;
      if (!node) throw new SetupError("remove needs a node (index or name)", USAGE);
      const name = cluster.node(node).nodeName;
      await cluster.removeNode(node);
      console.log(`removed ${name}: it left the cluster and its data folder was deleted`);
      await printStatus(cluster);
      return;
    }
    default:
      console.log(USAGE);
      if (command !== undefined && command !== "help") process.exitCode = 2;
  }
}

async function printStatus(cluster: Cluster): Promise<void> {
  const members = new Set(await cluster.members());
  console.log(`cluster of ${cluster.nodes.length} node(s), domain ${cluster.domain}; Mnesia members: ${[...members].join(", ") || "none running"}`);
  for (const node of cluster.nodes) {
    const instance = cluster.instance(node.nodeName);
    const sessions = instance ? (await instance.api<{ num_sessions: number }>("connected_users_number", {}).catch(() => ({ num_sessions: NaN }))).num_sessions : 0;
    const state = instance ? `running (pid ${instance.beamPid}), ${sessions} sessions` : "stopped";
    console.log(`  ${node.index}  ${node.nodeName}  ${state}  wss://${cluster.domain}:${node.ports.listeners.https}/ws  ws://127.0.0.1:${node.ports.listeners.httpLoopback}/ws`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof SetupError) console.error(`error: ${error.userMessage}`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
