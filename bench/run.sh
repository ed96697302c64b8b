#!/usr/bin/env bash
# Load benchmark on loopback: the bare secret_names GraphQL call (a) against
# the list page through the UI (b), same server, same run. Bounded: each wrk
# run lasts BENCH_DURATION (default 10s). Installs wrk if missing.
#
#   bash bench/run.sh                      # 100 secrets, 64 connections, 10 s
#   BENCH_SECRETS=1000 BENCH_DURATION=30s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECRETS=${BENCH_SECRETS:-100}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ADDR=127.0.0.1:${BENCH_PORT:-18181}
BASE=http://$ADDR
KEY=tsk_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null
fi

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/teamsecrets" .

# Start and time until the first successful /healthz.
start=$(date +%s%N)
TEAMSECRETS_BOOTSTRAP_KEY=$KEY "$work/teamsecrets" --addr "$ADDR" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
until curl -fs "$BASE/healthz" >/dev/null 2>&1; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
done
healthy_ms=$(( ($(date +%s%N) - start) / 1000000 ))

# Seed the team through the API, as a client would.
for i in $(seq 1 "$SECRETS"); do
  printf '{"query":"mutation { set_secret(input: {name: \\"BENCH_SECRET_%04d\\", value: \\"v\\"}) { success } }"}\n' "$i"
done | while read -r body; do
  curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" "$BASE/graphql" >/dev/null
done

# Sign in through the UI for a session cookie.
jar="$work/cookies"
token=$(curl -fs -c "$jar" "$BASE/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$token" --data-urlencode "key=$KEY" "$BASE/login"
# The first page view takes the sign-in message out of the cookie; wrk then
# replays the settled cookie.
curl -fs -b "$jar" -c "$jar" -o /dev/null "$BASE/teams/default/secrets"
session=$(awk '$6 == "ts_session" { print $7 }' "$jar")
[ -n "$session" ] || { echo "sign-in failed" >&2; exit 1; }
rows=$(curl -fs -H "Cookie: ts_session=$session" "$BASE/teams/default/secrets" | { grep -o '<code class="name">' || true; } | wc -l)
echo "seeded $SECRETS secrets; list page shows $rows rows"

wrk_run() { wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@"; }
summary() { # rps p50 p99 errors from wrk output
  awk '/Requests\/sec/ { rps=$2 } /^ +50%/ { p50=$2 } /^ +99%/ { p99=$2 }
       /Non-2xx/ { non2xx=$NF } /Socket errors/ { sock=$0 }
       END { printf "%s %s %s %s\n", rps, p50, p99, (non2xx ? non2xx : 0) }'
}

echo "--- (a) bare GraphQL: POST /graphql { secret_names }"
BENCH_KEY=$KEY wrk_run -s bench/secret_names.lua "$BASE/graphql" | tee "$work/a.txt"
echo "--- (b) UI list page: GET /teams/default/secrets"
wrk_run -H "Cookie: ts_session=$session" "$BASE/teams/default/secrets" | tee "$work/b.txt"

read -r a_rps a_p50 a_p99 a_err < <(summary < "$work/a.txt")
read -r b_rps b_p50 b_p99 b_err < <(summary < "$work/b.txt")
rss_kb=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")

echo
echo "=== results ($SECRETS secrets, $CONNS connections, $THREADS wrk threads, $DURATION each, $(nproc) cores)"
printf '%-28s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "(a) GraphQL secret_names" "$a_rps" "$a_p50" "$a_p99" "$a_err"
printf '%-28s %10s req/s   p50 %-9s p99 %-9s non-2xx %s\n' "(b) UI list page" "$b_rps" "$b_p50" "$b_p99" "$b_err"
awk -v a="$a_rps" -v b="$b_rps" 'BEGIN { printf "ratio b/a                    %10.2f   (target >= 0.70)\n", b / a }'
echo "peak RSS                     $((rss_kb / 1024)) MB (target < 60 MB)"
echo "start to healthy             ${healthy_ms} ms (target < 300 ms, includes the first start's key and store creation)"
