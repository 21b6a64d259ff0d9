#!/usr/bin/env bash
# Per-source limits for the TURN ports, for the TURN host's firewall (iptables/ip6tables,
# either backend). TURN REST credentials are anonymous and every XEP-0215 request mints a
# new one, so neither ejabberd's TURN (which ignores turn_max_allocations) nor coturn's
# user-quota can bound what one account allocates; the client's address is the handle left.
#   - at most TURN_MAX_FLOWS_PER_SOURCE concurrent flows to the TURN ports from one IPv4
#     address or one IPv6 /64 (each UDP allocation is one flow: a source port);
#   - at most TURN_NEW_FLOWS_PER_MINUTE new flows a minute from one source (burst the same).
# A NAT that hides many users behind one address (an office, carrier-grade NAT) needs more:
# size the limits for the calls you expect from one address. Run as root; idempotent (it
# replaces its own chain). Usage: [TURN_PORTS=3478,5349] bash turn-per-source.sh
set -euo pipefail

max_flows=${TURN_MAX_FLOWS_PER_SOURCE:-32}
new_per_minute=${TURN_NEW_FLOWS_PER_MINUTE:-60}
ports=${TURN_PORTS:-3478,5349}
chain=TURN-PER-SOURCE

for family in 4 6; do
  if [ "$family" = 4 ]; then tables=iptables; mask=32; else tables=ip6tables; mask=64; fi
  if ! command -v "$tables" >/dev/null 2>&1; then
    echo "error: $tables is missing → apt-get install iptables" >&2
    exit 1
  fi
  # Unhook and empty our chain if an earlier run made it, then build it afresh.
  for proto in udp tcp; do
    while "$tables" -D INPUT -p "$proto" -m multiport --dports "$ports" -j "$chain" 2>/dev/null; do :; done
  done
  "$tables" -N "$chain" 2>/dev/null || "$tables" -F "$chain"
  "$tables" -A "$chain" -m conntrack --ctstate NEW -m connlimit --connlimit-above "$max_flows" --connlimit-mask "$mask" -j DROP
  "$tables" -A "$chain" -m conntrack --ctstate NEW -m hashlimit --hashlimit-mode srcip --hashlimit-srcmask "$mask" \
    --hashlimit-name "turn-new-v$family" --hashlimit-above "$new_per_minute/minute" --hashlimit-burst "$new_per_minute" -j DROP
  for proto in udp tcp; do
    "$tables" -I INPUT -p "$proto" -m multiport --dports "$ports" -j "$chain"
  done
done
echo "TURN per-source limits: $max_flows concurrent flows, $new_per_minute new flows a minute (ports $ports)"
