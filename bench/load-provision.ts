// Bulk provisioning for bench:load: one Erlang RPC into the running node whose parallel
// workers call ejabberd's own registration and roster functions. mod_http_api costs
// ≈ 4–20 ms of server time per call (HTTP, JSON, access checks); this path skips all of it.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { erlangCookieHome } from "../scripts/lib/erlang-cookie.ts";

export interface RpcProvisionOptions {
  nodeName: string;
  cookie: string;
  epmdPort: number;
  domain: string;
  /** Accounts u0 … u(2·pairs−1); u(2k) and u(2k+1) become each other's contacts (both). */
  pairs: number;
  password: string;
  /** Erlang processes working in parallel on the node. */
  parallel?: number;
}

/** An Erlang binary literal of a plain string (letters, digits, - and _ only: no escaping needed). */
function binary(value: string): string {
  if (!/^[A-Za-z0-9_.-]*$/.test(value)) throw new Error(`not a safe literal: ${value}`);
  return `<<"${value}">>`;
}

/** Registers the accounts and their roster items; resolves with how many accounts are new. */
export function provisionByRpc(options: RpcProvisionOptions): Promise<number> {
  const parallel = options.parallel ?? 8;
  // ejabberd 23.01: ejabberd_auth:try_register/3, mod_admin_extra:add_rosteritem/7 (one group as a binary).
  const expression = `
    Node = '${options.nodeName}', H = ${binary(options.domain)}, P = ${binary(options.password)},
    Pairs = ${options.pairs}, Parallel = ${parallel},
    Work = fun(From, To) ->
      lists:foldl(fun(K, New) ->
        A = <<"u", (integer_to_binary(2 * K))/binary>>, B = <<"u", (integer_to_binary(2 * K + 1))/binary>>,
        N = length([ok || ok <- [ejabberd_auth:try_register(A, H, P), ejabberd_auth:try_register(B, H, P)]]),
        mod_admin_extra:add_rosteritem(A, H, B, H, B, <<"Contacts">>, <<"both">>),
        mod_admin_extra:add_rosteritem(B, H, A, H, A, <<"Contacts">>, <<"both">>),
        New + N
      end, 0, lists:seq(From, To))
    end,
    % Ranges past the last pair are empty (lists:seq(N, N - 1)): fewer pairs than workers is fine.
    Self = self(), Step = (Pairs + Parallel - 1) div Parallel,
    [spawn(fun() -> Self ! {done, rpc:call(Node, erlang, apply, [Work, [min(Pairs, S * Step), min(Pairs, (S + 1) * Step) - 1]], infinity)} end)
     || S <- lists:seq(0, Parallel - 1)],
    Results = [receive {done, R} -> R end || _ <- lists:seq(1, Parallel)],
    case lists:all(fun erlang:is_integer/1, Results) of
      true -> io:format("~b~n", [lists:sum(Results)]), halt(0);
      false -> io:format("~p~n", [Results]), halt(1)
    end.`;
  return evalOnNode(options, expression, "provisioning").then((output) => Number(output.trim()));
}

/** Where a hidden Erlang VM finds the node to evaluate on. */
export interface NodeAccess {
  cookie: string;
  epmdPort: number;
}

/**
 * Evaluates an Erlang expression in a hidden VM connected to the node's cluster (the
 * expression reaches the node with rpc:call) and resolves with what it printed; it must
 * halt(0) on success.
 */
export function evalOnNode(access: NodeAccess, expression: string, what: string): Promise<string> {
  // The cookie goes in a file of its own, not on the command line every local user can read.
  const home = mkdtempSync(join(tmpdir(), "calls-rpc-"));
  const child = spawn("erl", [
    "-sname", `rpc-${randomBytes(3).toString("hex")}@localhost`, "-hidden", "-noinput",
    "-kernel", "inet_dist_use_interface", "{127,0,0,1}", "-eval", expression,
  ], { env: { ...process.env, ...erlangCookieHome(home, access.cookie), ERL_EPMD_PORT: String(access.epmdPort), ERL_EPMD_ADDRESS: "127.0.0.1" }, stdio: ["ignore", "pipe", "pipe"] });
  child.on("exit", () => rmSync(home, { recursive: true, force: true }));
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${what} RPC failed (exit ${code}): ${output.trim().slice(0, 500)}`));
    });
  });
}
