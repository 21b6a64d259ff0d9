#!/usr/bin/env bash
# Installs what the project needs and is missing: npm dependencies, then Debian packages.
#   scripts/ensure-deps.sh start   ejabberd (with Erlang) and openssl
#   scripts/ensure-deps.sh test    the same, plus Debian's chromium for the browser tests
# As root the Debian packages are installed; otherwise it says which command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

purpose=${1:-start}

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies…"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi

packages=(ejabberd erlang-base openssl)
# coturn is the alternative TURN under test; docker-compose validates docker-compose.yml
# offline; iproute2 and iptables build the NAT test hosts.
[ "$purpose" = "test" ] && packages+=(chromium coturn docker-compose iproute2 iptables)
[ "$purpose" = "test" ] && packages+=(firefox-esr) # the web app in Firefox, driven over WebDriver BiDi
[ "$purpose" = "test" ] && packages+=(postgresql erlang-p1-pgsql) # ejabberd on PostgreSQL (test/integration/storage-matrix.test.ts); Debian's ejabberd leaves the pgsql driver out
[ "$purpose" = "test" ] && packages+=(dino-im xvfb dbus-daemon pulseaudio gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good libglib2.0-bin sqlite3 xdotool tcpdump imagemagick) # Dino interop (test/support/dino/)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: missing ${missing[*]}, and this is not a Debian-like system with apt-get." >&2
  echo "  → install ejabberd 23.01 or newer (and Chromium for the tests) with your system's package manager" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: these Debian packages are missing: ${missing[*]}" >&2
  echo "  → run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}."
# Debian starts the packaged coturn and ejabberd services where systemd runs; the project
# runs its own instances on its own ports, so a freshly installed system service that
# would hold 3478 or 5222 is stopped and disabled again (only what this run installed).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  for pkg in "${missing[@]}"; do
    case "$pkg" in
      coturn|ejabberd)
        systemctl disable --now "$pkg" >/dev/null 2>&1 && echo "Stopped and disabled the system $pkg service this installed (the project runs its own)." ;;
    esac
  done
fi
