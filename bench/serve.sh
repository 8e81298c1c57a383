#!/usr/bin/env bash
# Benchmark of `muster serve` (issue 5), on a generated 10,000-host inventory:
#  1. requests/s and p99 latency of GET /v1/roles/web/hosts.json with wrk
#     (--latency), side by side with nginx serving the very same bytes as a
#     static file (nginx started here on 127.0.0.3, its own config in a temp dir);
#  2. memory (RSS) and CPU of 1,000 idle watchers (blocking queries);
#  3. memory once every host/role/group route has been prepared in 3 formats.
# Usage: bash bench/serve.sh [SECONDS=15]    (env: CONNECTIONS=64 THREADS=2 HOSTS=10000 NGINX_WORKERS=1 WATCHERS=1000)
# Needs a build (npm run build), wrk and nginx. Writes bench/results/serve.md.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-15}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
HOSTS=${HOSTS:-10000}
NGINX_WORKERS=${NGINX_WORKERS:-1}
WATCHERS=${WATCHERS:-1000}
MUSTER_PORT=${MUSTER_PORT:-17070}
NGINX_PORT=${NGINX_PORT:-17071}
ROUTE=/v1/roles/web/hosts.json

for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "serve.sh: $tool is not installed" >&2; exit 2; }
done
[ -f dist/cli/commands/serve.js ] || { echo "serve.sh: no build; run npm run build first" >&2; exit 2; }

work=$(mktemp -d /tmp/muster-bench-serve.XXXXXX)
chmod 755 "$work"
muster_pid='' nginx_pid=''
cleanup() {
  [ -n "$muster_pid" ] && kill "$muster_pid" 2>/dev/null && wait "$muster_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

inventory=bench/results/inventory-$HOSTS/muster.yaml
[ -f "$inventory" ] || node bench/inventory.js --hosts "$HOSTS" --generate-only >/dev/null

wait_http() { for _ in $(seq 1 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "serve.sh: $1 did not come up" >&2; return 1; }
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# muster serve, access log on (as in production) but sent to a file.
node bin/muster.js serve -i "$inventory" --listen "127.0.0.2:$MUSTER_PORT" 2>"$work/access.log" &
muster_pid=$!
wait_http "http://127.0.0.2:$MUSTER_PORT/v1/health"
rss_loaded=$(rss_mb "$muster_pid")

# nginx serving the same bytes as a static file.
mkdir -p "$work/www/v1/roles/web"
curl -sf "http://127.0.0.2:$MUSTER_PORT$ROUTE" -o "$work/www$ROUTE"
bytes=$(stat -c %s "$work/www$ROUTE")
cat >"$work/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log $work/nginx-access.log;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp; uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  types { application/json json; }
  sendfile on;
  server { listen 127.0.0.3:$NGINX_PORT; root $work/www; }
}
CONF
mkdir -p "$work/tmp"
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
wait_http "http://127.0.0.3:$NGINX_PORT$ROUTE"
cmp <(curl -sf "http://127.0.0.3:$NGINX_PORT$ROUTE") "$work/www$ROUTE"

run_wrk() { wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1"; }
rate() { awk '/^Requests\/sec/ { print $2 }' "$1"; }
p99() { awk '$1 == "99%" { print $2 }' "$1"; }

echo "== wrk ${DURATION}s, $CONNECTIONS connections, $THREADS threads: muster serve $ROUTE ($bytes bytes)" >&2
run_wrk "http://127.0.0.2:$MUSTER_PORT$ROUTE" | tee "$work/wrk-muster.txt" >&2
echo "== the same against nginx ($NGINX_WORKERS worker)" >&2
run_wrk "http://127.0.0.3:$NGINX_PORT$ROUTE" | tee "$work/wrk-nginx.txt" >&2
rss_after_wrk=$(rss_mb "$muster_pid")

echo "== $WATCHERS idle watchers" >&2
watchers=$(node bench/serve-watchers.mjs "http://127.0.0.2:$MUSTER_PORT" "$muster_pid" "$WATCHERS" 3)
echo "$watchers" >&2
echo "== every host, role and group route prepared in json, yaml and sh" >&2
warm=$(node bench/serve-warm.mjs "http://127.0.0.2:$MUSTER_PORT" "$muster_pid")
echo "$warm" >&2

m_rate=$(rate "$work/wrk-muster.txt") n_rate=$(rate "$work/wrk-nginx.txt")
ratio=$(awk -v m="$m_rate" -v n="$n_rate" 'BEGIN { printf "%.0f", 100 * m / n }')
field() { node -e "process.stdout.write(String(JSON.parse(process.argv[1])[process.argv[2]]))" "$1" "$2"; }
mkdir -p bench/results
{
  echo "# muster serve benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, node $(node --version), $(nginx -v 2>&1 | sed 's/.*: //'), $HOSTS-host inventory (\`bench/results/inventory-$HOSTS/muster.yaml\`)."
  echo "\`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency\` on \`GET $ROUTE\` ($bytes bytes); muster with its access log on (to a file); nginx with $NGINX_WORKERS worker, sendfile, the same bytes as a static file."
  echo
  echo "| server | requests/s | p99 latency |"
  echo "| --- | ---: | ---: |"
  echo "| muster serve | $m_rate | $(p99 "$work/wrk-muster.txt") |"
  echo "| nginx (static file) | $n_rate | $(p99 "$work/wrk-nginx.txt") |"
  echo
  echo "muster serves **${ratio}%** of nginx's rate (goal: at least 50%)."
  echo
  echo "| memory | RSS |"
  echo "| --- | ---: |"
  echo "| after loading $HOSTS hosts | $rss_loaded MB |"
  echo "| after the wrk run | $rss_after_wrk MB |"
  echo "| before $(field "$watchers" watchers) idle watchers | $(field "$watchers" rss_before_mb) MB |"
  echo "| with them (CPU while idle for 3 s: $(field "$watchers" cpu_seconds_while_idle) s) | $(field "$watchers" rss_with_watchers_mb) MB (+$(field "$watchers" added_mb) MB; goal < 100 MB) |"
  echo "| every route prepared ($(field "$warm" prepared_responses) responses, in $(field "$warm" warm_seconds) s) | $(field "$warm" rss_after_mb) MB |"
} > bench/results/serve.md
cat bench/results/serve.md
