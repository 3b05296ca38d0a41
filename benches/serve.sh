#!/usr/bin/env bash
# `kiemphieu serve` on a vote of N scanned sheets (default 1,000): median answer times of the
# overview page, the review page and a sheet's picture (each picture asked for once, right after
# the server starts, so every one is rendered from its scan on that first request: nothing is
# rendered ahead or cached), then how much 20 clients polling the overview slow a running scan of
# M more sheets (default 100): the same scan into fresh copies of the vote, without load and with
# load, alternated ROUNDS times (default 3); the ratio of the medians, loaded / quiet, is printed
# last. A client is one curl process asking for the overview twice a second over one kept-alive
# connection, as a browser tab would (not a new process a request: on this 2-core machine the
# clients' own start-up would then be most of the load).
#   benches/serve.sh [N] [M]          PROFILE=dev for a debug build (default: release)
#   KEEP=1 benches/serve.sh ...       keep the prepared vote and reuse it on the next run with the
#                                     same N and M (else the folder is removed at the end)
#   SPAWN=1 benches/serve.sh ...      clients as the first version of this bench had them: a new
#                                     curl process for each request, twice a second
#   BIN=path/to/kiemphieu ...         measure that binary (an earlier version) instead of building
#   POLL=/health ...                  the clients poll this path instead of the overview (`/health`
#                                     costs the server nothing: what the clients cost by themselves)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
m=${2:-100}
rounds=${ROUNDS:-3}
poll=${POLL:-/}
profile=${PROFILE:-release}
if [ -n "${BIN:-}" ]; then bin=$BIN   # another build (an earlier version, to compare)
elif [ "$profile" = release ]; then cargo build --release; bin=${CARGO_TARGET_DIR:-target}/release/kiemphieu
else cargo build; bin=${CARGO_TARGET_DIR:-target}/debug/kiemphieu; fi
d=${TMPDIR:-/tmp}/kiemphieu-bench-serve
if [ "${KEEP:-}" = 1 ] && [ -e "$d/prepared-$n-$m" ]; then
  echo "reusing the $n sheets prepared in $d"
else
  rm -rf "$d"; mkdir -p "$d"
  $bin init "$d/vote" --form forms/tin-nhiem-so-khcn.json >/dev/null
  $bin generate "$d/vote" --count $((n + m + 50)) >/dev/null
  t0=$(date +%s.%N)
  # One simulated box of N + M sheets: the first N are scanned now, the last M under load.
  $bin simulate "$d/vote" --out "$d/all" --count $((n + m)) --seed 11 --faults mild >/dev/null
  mkdir -p "$d/box" "$d/batch"
  # (An array, not `ls | head`: under pipefail, head closing the pipe early fails the script.)
  sheets=("$d/all"/sheet-*)
  mv "${sheets[@]:0:n}" "$d/box/"
  mv "${sheets[@]:n}" "$d/batch/"
  $bin scan "$d/vote" "$d/box" >/dev/null || true
  echo "prepared $n sheets in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s"
  echo "a long passphrase" | $bin committee add "$d/vote" --name "Bench" --password-stdin >/dev/null
  touch "$d/prepared-$n-$m"
fi
# A fresh copy of the scanned vote: the archived scans shared (hard links: they are never
# written), the database copied.
fresh() {
  rm -rf "$1"; cp -al "$d/vote" "$1"
  for f in "$d"/vote/vote.db*; do rm -f "$1/$(basename "$f")"; cp "$f" "$1/"; done
}

pid=
serve() { # serve VOTE -> sets pid and url
  $bin serve "$1" --listen 127.0.0.1:0 >"$d/serve.out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$d/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$d/serve.out" | head -1)
  curl -s -o /dev/null -c "$d/jar" --data-urlencode "name=Bench" --data-urlencode "password=a long passphrase" "$url/login"
}
stop_serving() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
median() { sort -n | awk '{ r[NR] = $1 } END { printf "%.1f ms (of %d; min %.1f, max %.1f)\n", r[int((NR + 1) / 2)] * 1000, NR, r[1] * 1000, r[NR] * 1000 }'; }
timed() { curl -s -o /dev/null -b "$d/jar" -w '%{time_total}\n' "$1"; }

fresh "$d/served"
serve "$d/served"
first=$(curl -s -b "$d/jar" "$url/api/review" | sed -n 's/.*"sheet":\([0-9]*\).*/\1/p' | head -1)
first=${first:-1}
printf 'sheet picture:   '; for i in $(seq 2 22); do timed "$url/pictures/$i.jpg"; done | median
printf 'overview page:   '; for _ in $(seq 21); do timed "$url/"; done | median
printf 'review page:     '; for _ in $(seq 21); do timed "$url/review/$first"; done | median
stop_serving

scan_secs() { local a; a=$(date +%s.%N); $bin scan "$1" "$d/batch" >/dev/null || true; awk -v a="$a" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
quiet_run() { fresh "$d/scanned"; scan_secs "$d/scanned"; }
loaded_run() {
  fresh "$d/scanned"
  serve "$d/scanned"
  local clients=()
  for _ in $(seq 20); do
    if [ "${SPAWN:-}" = 1 ]; then
      ( while :; do curl -s -o /dev/null -b "$d/jar" "$url$poll"; sleep 0.5; done ) >/dev/null 2>&1 &
    else
      curl -s -b "$d/jar" --rate 2/s "$url$poll?poll=[1-100000]" >/dev/null 2>&1 &
    fi
    clients+=($!)
  done
  sleep 1
  scan_secs "$d/scanned"
  kill "${clients[@]}"; wait "${clients[@]}" 2>/dev/null || true
  stop_serving
}
quiet=() loaded=()
for r in $(seq "$rounds"); do
  # Alternated, so that a change in the machine's other load falls on both alike.
  if [ $((r % 2)) = 1 ]; then q=$(quiet_run); l=$(loaded_run); else l=$(loaded_run); q=$(quiet_run); fi
  quiet+=("$q"); loaded+=("$l")
  echo "round $r: scan of $m sheets quiet $q s, with 20 clients polling the overview $l s"
done
mid() { printf '%s\n' "$@" | sort -n | awk '{ r[NR] = $1 } END { print r[int((NR + 1) / 2)] }'; }
awk -v q="$(mid "${quiet[@]}")" -v l="$(mid "${loaded[@]}")" \
  'BEGIN { printf "medians: quiet %.2f s, loaded %.2f s; loaded / quiet: %.3f (<= 1.10 is the bar)\n", q, l, l / q }'
rm -rf "$d/served" "$d/scanned"
if [ "${KEEP:-}" != 1 ]; then rm -rf "$d"; fi
