#!/usr/bin/env bash
# `kiemphieu serve` on a vote of N scanned sheets (default 1,000): median answer times of the
# overview page, the review page and a sheet's picture (each picture asked for once, so every
# one is rendered from its scan, none from the cache), then how much 20 clients polling the
# overview slow a running scan of M more sheets (default 100): the same scan into copies of the
# vote, without load, with load, and without again; the ratio loaded / unloaded is printed last.
#   benches/serve.sh [N] [M]          PROFILE=dev for a debug build (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
m=${2:-100}
profile=${PROFILE:-release}
if [ "$profile" = release ]; then cargo build --release; bin=${CARGO_TARGET_DIR:-target}/release/kiemphieu
else cargo build; bin=${CARGO_TARGET_DIR:-target}/debug/kiemphieu; fi
d=${TMPDIR:-/tmp}/kiemphieu-bench-serve
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
for c in A B C; do cp -r "$d/vote" "$d/vote$c"; done

serve() { # serve VOTE -> sets pid and url
  $bin serve "$1" --listen 127.0.0.1:0 >"$d/serve.out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$d/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$d/serve.out" | head -1)
}
median() { sort -n | awk '{ r[NR] = $1 } END { printf "%.1f ms (of %d; min %.1f, max %.1f)\n", r[int((NR + 1) / 2)] * 1000, NR, r[1] * 1000, r[NR] * 1000 }'; }
timed() { curl -s -o /dev/null -b "$d/jar" -w '%{time_total}\n' "$1"; }

serve "$d/vote"
curl -s -o /dev/null -c "$d/jar" --data-urlencode "name=Bench" --data-urlencode "password=a long passphrase" "$url/login"
first=$(curl -s -b "$d/jar" "$url/api/review" | sed -n 's/.*"sheet":\([0-9]*\).*/\1/p' | head -1)
first=${first:-1}
printf 'overview page:   '; for _ in $(seq 21); do timed "$url/"; done | median
printf 'review page:     '; for _ in $(seq 21); do timed "$url/review/$first"; done | median
printf 'sheet picture:   '; for i in $(seq 2 22); do timed "$url/pictures/$i.jpg"; done | median
kill "$pid"; wait "$pid" 2>/dev/null || true

scan_secs() { local a; a=$(date +%s.%N); $bin scan "$1" "$d/batch" >/dev/null || true; awk -v a="$a" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }
quiet1=$(scan_secs "$d/voteA")
serve "$d/voteB"
curl -s -o /dev/null -c "$d/jar" --data-urlencode "name=Bench" --data-urlencode "password=a long passphrase" "$url/login"
stop="$d/stop"; rm -f "$stop"
for _ in $(seq 20); do
  ( while [ ! -e "$stop" ]; do curl -s -o /dev/null -b "$d/jar" "$url/"; sleep 0.5; done ) &
done
loaded=$(scan_secs "$d/voteB")
touch "$stop"; sleep 1; kill "$pid"; wait "$pid" 2>/dev/null || true
quiet2=$(scan_secs "$d/voteC")
echo "scan of $m sheets: quiet $quiet1 s, with 20 clients polling the overview $loaded s, quiet again $quiet2 s"
awk -v q1="$quiet1" -v l="$loaded" -v q2="$quiet2" 'BEGIN { printf "loaded / quiet: %.3f (<= 1.10 is the bar)\n", l / ((q1 + q2) / 2) }'
