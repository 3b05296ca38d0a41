#!/usr/bin/env bash
# Concurrency stress: four `scan`s of overlapping folders (originals, other scans of the same
# ballots, both, both the other way round) plus a `watch` fed with copies of both, all at once on
# one vote, repeated N times (default 50) on a fresh copy of the vote. Each round checks that no
# serial is counted twice, that every file is recorded exactly once, that no command died, and
# that `audit` is clean; the script exits 1 at the first round that breaks one of these.
#   benches/stress.sh [N] [SHEETS]      (defaults 50 and 12)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
sheets=${2:-12}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kiemphieu
work=${TMPDIR:-/tmp}/kiemphieu-stress-$$
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# One pristine vote and two boxes holding the same serials: different scans (other noise, other
# marks) of the same printed ballots, so each serial arrives twice with different bytes.
"$bin" init "$work/pristine" --form forms/tin-nhiem-so-khcn.json >/dev/null
"$bin" generate "$work/pristine" --count $((sheets + 4)) >/dev/null
"$bin" simulate "$work/pristine" --out "$work/a" --count "$sheets" --seed 1 --faults mild >/dev/null
"$bin" simulate "$work/pristine" --out "$work/b" --count "$sheets" --seed 2 --faults mild >/dev/null
rm -f "$work/a/truth.json" "$work/b/truth.json"
files=$(ls "$work/a" "$work/b" | grep -c '\.')
echo "stress: $n round(s), $sheets serials, $files distinct files, 4 scans + 1 watch per round"

fail() { echo "round $1: $2" >&2; exit 1; }
total_counted=0
total_dups=0
start=$(date +%s)
for round in $(seq "$n"); do
  v="$work/vote-$round"
  out="$work/out-$round"
  mkdir -p "$out" "$work/w-$round"
  cp -a "$work/pristine" "$v"
  "$bin" watch "$v" "$work/w-$round" --json --poll-only --poll-ms 50 --settle-ms 100 \
    >"$out/watch.json" 2>"$out/watch.err" &
  watch_pid=$!
  "$bin" scan "$v" "$work/a" --json >"$out/1.json" 2>"$out/1.err" & p1=$!
  "$bin" scan "$v" "$work/b" --json >"$out/2.json" 2>"$out/2.err" & p2=$!
  "$bin" scan "$v" "$work/a" "$work/b" --json >"$out/3.json" 2>"$out/3.err" & p3=$!
  "$bin" scan "$v" "$work/b" "$work/a" --json >"$out/4.json" 2>"$out/4.err" & p4=$!
  for f in "$work"/a/*; do cp "$f" "$work/w-$round/a-$(basename "$f")"; done
  for f in "$work"/b/*; do cp "$f" "$work/w-$round/b-$(basename "$f")"; done
  for p in $p1 $p2 $p3 $p4; do
    wait "$p" || fail "$round" "a scan exited with $? (see $out)"
  done
  # Let the watch read what it was given, then stop it as a person would (Ctrl-C).
  for _ in $(seq 200); do
    seen=$(wc -l <"$out/watch.json")
    [ "$seen" -ge "$files" ] && break
    sleep 0.1
  done
  kill -INT "$watch_pid"
  wait "$watch_pid" || true
  cat "$out"/*.err | grep -i -E 'unique|panick|locked' && fail "$round" "a command died"
  # Every serial counted at most once, over everything the five commands recorded.
  counted=$(cat "$out"/*.json | grep '"outcome":"counted"' || true)
  twice=$(printf '%s\n' "$counted" | grep -o '"serial":"[^"]*"' | sort | uniq -d)
  [ -z "$twice" ] || fail "$round" "serial counted twice: $twice"
  # Every file recorded exactly once (and only once): each hash has one record that is not
  # `already_scanned`.
  recorded=$(cat "$out"/*.json | grep -v '"outcome":"already_scanned"' | grep -o '"sha256":"[^"]*"')
  [ "$(printf '%s\n' "$recorded" | sort | uniq -d)" = "" ] || fail "$round" "a file recorded twice"
  [ "$(printf '%s\n' "$recorded" | sort -u | wc -l)" = "$files" ] || fail "$round" "a file not recorded"
  "$bin" audit "$v" >"$out/audit.txt" || fail "$round" "audit not clean: $(cat "$out/audit.txt")"
  c=$(printf '%s\n' "$counted" | grep -c serial || true)
  d=$(cat "$out"/*.json | grep -c '"reason":"duplicate_serial"' || true)
  total_counted=$((total_counted + c))
  total_dups=$((total_dups + d))
  echo "round $round: counted $c, duplicate_serial $d, audit clean"
  rm -rf "$v" "$out" "$work/w-$round"
done
echo "stress: $n round(s) in $(($(date +%s) - start)) s: $total_counted counted, $total_dups duplicate_serial, no serial counted twice, every file recorded once, audit clean every time"
