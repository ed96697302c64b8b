#!/usr/bin/env bash
# Load benchmark on loopback, on each store backend side by side: the UI
# list page, the bare secret_names GraphQL call, and set_secret (rotating
# seeded values). Bounded: each wrk run lasts BENCH_DURATION (default 10s).
# Installs wrk if missing; PostgreSQL runs as a throwaway cluster in a
# temporary directory (Debian's postgresql package; skipped if absent).
#
#   bash bench/run.sh                              # both backends, 100 secrets, 64 connections, 10 s
#   BENCH_BACKENDS=sqlite bash bench/run.sh        # one backend
#   BENCH_SECRETS=1000 BENCH_DURATION=30s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SECRETS=${BENCH_SECRETS:-100}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
ADDR=127.0.0.1:${BENCH_PORT:-18181}
BASE=http://$ADDR
KEY=tsk_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BENCH_KEY=$KEY BENCH_SECRETS=$SECRETS

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null
fi

work=$(mktemp -d)
pid=
pgdata=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "$pgdata" ] && as_postgres pg_ctl -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/teamsecrets" .
chmod 755 "$work"

# PostgreSQL's tools run as the postgres user when we are root.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_bin() { # a directory with initdb and pg_ctl, Debian's newest first
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) $(command -v initdb >/dev/null && dirname "$(command -v initdb)"); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
}

# start_postgres starts a throwaway cluster and prints its URL.
start_postgres() {
  local bin port
  bin=$(pg_bin)
  [ -n "$bin" ] || return 1
  pgdata=$work/pg
  mkdir -p "$pgdata"
  [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
  port=${BENCH_PG_PORT:-15432}
  as_postgres "$bin/initdb" -D "$pgdata" -U postgres -A trust >/dev/null
  # Durable commits as in production (fsync on); sockets in the data directory.
  as_postgres "$bin/pg_ctl" -D "$pgdata" -w -l "$pgdata/log" \
    -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

wrk_run() { wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@"; }
summary() { # rps p50 p99 errors from wrk output
  awk '/Requests\/sec/ { rps=$2 } /^ +50%/ { p50=$2 } /^ +99%/ { p99=$2 }
       /Non-2xx/ { non2xx=$NF }
       END { printf "%s %s %s %s\n", rps, p50, p99, (non2xx ? non2xx : 0) }'
}

# bench_backend NAME [ENV=VALUE...]: one server on that backend, seeded,
# then the three wrk runs; results go to $work/NAME.*.txt.
bench_backend() {
  local name=$1; shift
  local start healthy_ms jar token session rows
  rm -rf "$work/data"
  start=$(date +%s%N)
  env "$@" TEAMSECRETS_BOOTSTRAP_KEY="$KEY" "$work/teamsecrets" --addr "$ADDR" --data-dir "$work/data" \
    >"$work/$name.server.log" 2>&1 &
  pid=$!
  until curl -fs "$BASE/healthz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.server.log"; exit 1; }
  done
  healthy_ms=$(( ($(date +%s%N) - start) / 1000000 ))

  # Seed the team through the API, as a client would.
  for i in $(seq 1 "$SECRETS"); do
    printf '{"query":"mutation { set_secret(input: {name: \\"BENCH_SECRET_%04d\\", value: \\"v\\"}) { success } }"}\n' "$i"
  done | while read -r body; do
    curl -fs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$body" "$BASE/graphql" >/dev/null
  done

  # Sign in through the UI for a session cookie. The first page view takes
  # the sign-in message out of the cookie; wrk then replays the settled one.
  jar="$work/cookies"
  rm -f "$jar"
  token=$(curl -fs -c "$jar" "$BASE/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p')
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$token" --data-urlencode "key=$KEY" "$BASE/login"
  curl -fs -b "$jar" -c "$jar" -o /dev/null "$BASE/teams/default/secrets"
  session=$(awk '$6 == "ts_session" { print $7 }' "$jar")
  [ -n "$session" ] || { echo "$name: sign-in failed" >&2; exit 1; }
  rows=$(curl -fs -H "Cookie: ts_session=$session" "$BASE/teams/default/secrets" | { grep -o '<code class="name">' || true; } | wc -l)
  echo "=== $name: seeded $SECRETS secrets; list page shows $rows rows; start to healthy ${healthy_ms} ms"

  echo "--- $name: UI list page: GET /teams/default/secrets"
  wrk_run -H "Cookie: ts_session=$session" "$BASE/teams/default/secrets" | tee "$work/$name.list.txt"
  echo "--- $name: bare GraphQL: POST /graphql { secret_names }"
  wrk_run -s bench/secret_names.lua "$BASE/graphql" | tee "$work/$name.names.txt"
  echo "--- $name: POST /graphql set_secret (rotating the seeded values)"
  wrk_run -s bench/set_secret.lua "$BASE/graphql" | tee "$work/$name.set.txt"
  awk '/VmHWM/ { print $2 }' "/proc/$pid/status" >"$work/$name.rss"
  echo "$healthy_ms" >"$work/$name.healthy"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=
}

ran=()
for b in $BACKENDS; do
  case $b in
  sqlite)
    bench_backend sqlite; ran+=(sqlite) ;;
  postgres)
    if url=$(start_postgres); then
      bench_backend postgres TEAMSECRETS_DATABASE_URL="$url" TEAMSECRETS_CREATE_STORE=true; ran+=(postgres)
    else
      echo "PostgreSQL not installed (apt-get install postgresql): skipping it" >&2
    fi ;;
  *) echo "unknown backend $b (sqlite, postgres)" >&2; exit 2 ;;
  esac
done

echo
echo "=== results ($SECRETS secrets, $CONNS connections, $THREADS wrk threads, $DURATION each, $(nproc) cores)"
printf '%-10s %-30s %12s %10s %10s %8s\n' backend measure req/s p50 p99 non-2xx
for b in "${ran[@]}"; do
  for m in list:"UI list page" names:"GraphQL secret_names" set:"GraphQL set_secret"; do
    read -r rps p50 p99 err < <(summary < "$work/$b.${m%%:*}.txt")
    printf '%-10s %-30s %12s %10s %10s %8s\n' "$b" "${m#*:}" "$rps" "$p50" "$p99" "$err"
  done
  printf '%-10s %-30s %12s\n' "$b" "peak RSS" "$(( $(cat "$work/$b.rss") / 1024 )) MB"
  printf '%-10s %-30s %12s\n' "$b" "start to healthy" "$(cat "$work/$b.healthy") ms"
done
