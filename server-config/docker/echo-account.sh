#!/bin/sh
# Creates (or updates) the echo test-call account, echo@XMPP_DOMAIN (services/echo), through
# ejabberd's admin API on loopback: this container shares the ejabberd container's network
# (docker-compose service "echo-account"), as the API listens on 127.0.0.1 only. The password is
# made once in the echo-secret volume, which the echo service reads. It never appears on a
# command line (`ps` shows every process's arguments): the request bodies are files.
set -eu

: "${XMPP_DOMAIN:?set XMPP_DOMAIN to the XMPP domain, e.g. example.org}"
case "$XMPP_DOMAIN" in *[!a-zA-Z0-9.-]*) echo "XMPP_DOMAIN '$XMPP_DOMAIN' is not a host name" >&2; exit 1;; esac
SECRET_FILE=${ECHO_PASSWORD_FILE:-/opt/calls/echo/password}
API=${API_URL:-http://127.0.0.1:5281/api}
ECHO_USER=${ECHO_USER:-echo}
umask 077

if [ ! -s "$SECRET_FILE" ]; then
  # 24 random bytes as 48 hex digits: nothing to escape in JSON.
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET_FILE"
fi
password=$(cat "$SECRET_FILE")
body=$(mktemp)
trap 'rm -f "$body"' EXIT

call() {
  printf '%s' "$2" > "$body"
  wget -q -O- --header 'Content-Type: application/json' --post-file "$body" "$API/$1"
}

# ejabberd answers once it has started; give it two minutes.
tries=0
until users=$(call registered_users "{\"host\":\"$XMPP_DOMAIN\"}" 2>/dev/null); do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then echo "ejabberd's admin API at $API did not answer within 2 minutes" >&2; exit 1; fi
  sleep 2
done

case "$users" in
  *"\"$ECHO_USER\""*) call change_password "{\"user\":\"$ECHO_USER\",\"host\":\"$XMPP_DOMAIN\",\"newpass\":\"$password\"}" > /dev/null ;;
  *) call register "{\"user\":\"$ECHO_USER\",\"host\":\"$XMPP_DOMAIN\",\"password\":\"$password\"}" > /dev/null ;;
esac
echo "echo test-call account ready: $ECHO_USER@$XMPP_DOMAIN"
