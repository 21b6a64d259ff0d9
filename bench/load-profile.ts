// Where ejabberd's CPU goes under bench:load: Erlang's own tools, run inside the node
// through a hidden VM while the closed-loop call set-ups run.
//   - msacc (microstate accounting, LOAD_PROFILE=1, cheap): the schedulers' time split into
//     running Erlang code, garbage collection, ports (sockets), check_io, sleep…;
//   - eprof (LOAD_PROFILE=eprof): time per Erlang function (call_time tracing), summed here
//     per module and per subsystem. Its tracing slows the node several-fold, so the rates
//     of such a run are not figures: only the shares are.
import { evalOnNode, type NodeAccess } from "./load-provision.ts";

/** An Erlang atom literal for a node name (letters, digits, -, _, @ and . only). */
function atom(value: string): string {
  if (!/^[A-Za-z0-9_.@-]+$/.test(value)) throw new Error(`not a safe node name: ${value}`);
  return `'${value}'`;
}

export interface ProfileOutput {
  msacc: string;
  /** eprof's table, most time first: function, calls, microseconds. */
  functions: Array<{ fn: string; calls: number; us: number }>;
}

/** Runs msacc, then (withEprof) eprof, for `seconds` each on the node. */
export async function profileNode(access: NodeAccess & { nodeName: string }, seconds: number, withEprof: boolean): Promise<ProfileOutput> {
  const ms = Math.round(seconds * 1000);
  const expression = `
    Node = ${atom(access.nodeName)},
    true = rpc:call(Node, msacc, start, [${ms}], infinity),
    ok = rpc:call(Node, msacc, print, [], infinity),
    ${withEprof ? "" : "halt(0),"}
    io:format("~n==eprof==~n"),
    Profile = fun() ->
      eprof:start(),
      profiling = eprof:start_profiling(erlang:processes(), {'_', '_', '_'}, [set_on_spawn]),
      timer:sleep(${ms}),
      profiling_stopped = eprof:stop_profiling(),
      eprof:analyze(total, [{sort, time}]),
      eprof:stop()
    end,
    rpc:call(Node, erlang, apply, [Profile, []], infinity),
    halt(0).`;
  const output = await evalOnNode(access, expression, "profiling");
  const [msacc = "", eprof = ""] = output.split("==eprof==");
  const functions = [...eprof.matchAll(/^(\S+:\S+\/\d+)\s+(\d+)\s+[\d.]+\s+(\d+)\s+\[/gm)]
    .map(([, fn, calls, us]) => ({ fn: fn!, calls: Number(calls), us: Number(us) }))
    .sort((a, b) => b.us - a.us);
  return { msacc: msacc.trim(), functions };
}

/** Modules grouped into the subsystems a call set-up goes through. */
const SUBSYSTEMS: Array<[string, RegExp]> = [
  ["TLS (fast_tls)", /^(fast_tls|p1_tls|ssl|tls_)/],
  ["WebSocket framing and HTTP", /^(ejabberd_websocket|ejabberd_http)/],
  ["XML parsing and serialising (fxml)", /^(fxml|xml_stream)/],
  ["XMPP codec (xmpp)", /^(xmpp|xep|xmpp_codec|rfc|xmpp_util|jid)$|^(xmpp_|xep\d|rfc\d)/],
  ["MAM archive (mod_mam, Mnesia/dets, SQL)", /^(mod_mam|mnesia|dets|disk_log|ejabberd_sql|mod_mam_sql|pgsql|p1_pgsql)/],
  ["stream management (XEP-0198)", /^mod_stream_mgmt/],
  ["carbons, privacy, blocking, CSI, caps, offline, push", /^(mod_carboncopy|mod_privacy|mod_blocking|mod_client_state|mod_caps|mod_offline|mod_push|mod_last|mod_ping)/],
  ["router and session manager", /^(ejabberd_router|ejabberd_sm|ejabberd_local|ejabberd_cluster|ejabberd_hooks)/],
  ["c2s stream state machine", /^(ejabberd_c2s|xmpp_stream_in|xmpp_stream_out|p1_server|p1_fsm|gen_server|gen_statem|gen|proc_lib)/],
  ["logging", /^(logger|ejabberd_logger|error_logger)/],
  ["ETS caches, ACL, config", /^(ets_cache|ejabberd_option|ejabberd_config|acl|ejabberd_shaper|shaper|mod_roster|ejabberd_auth)/],
];

export function bySubsystem(functions: ProfileOutput["functions"]): Array<{ name: string; share: number; top: string[] }> {
  const total = functions.reduce((sum, f) => sum + f.us, 0) || 1;
  const groups = new Map<string, { us: number; fns: ProfileOutput["functions"] }>();
  for (const f of functions) {
    const module = f.fn.split(":")[0]!;
    const name = SUBSYSTEMS.find(([, pattern]) => pattern.test(module))?.[0] ?? "other (Erlang stdlib, erts BIFs…)";
    const group = groups.get(name) ?? { us: 0, fns: [] };
    group.us += f.us;
    group.fns.push(f);
    groups.set(name, group);
  }
  return [...groups.entries()]
    .map(([name, g]) => ({ name, share: g.us / total, top: g.fns.slice(0, 4).map((f) => `${f.fn} ${((f.us / total) * 100).toFixed(1)}%`) }))
    .sort((a, b) => b.share - a.share);
}
