#!/usr/bin/env bash
# Scanner speed and memory as ratios within one run: full scan vs decode-only of the same
# 300-dpi JPEG sheets, alternated ROUNDS times (default 5) so that a noisy neighbour on a shared
# machine hits both alike; the median of the per-round ratios is printed last. Each round also
# scans the same sheets with reading profile 1, so the profiles' cost compares in one run
# (PREVIOUS=5 scans them with profile 5 as well, for the newest profile's own cost). TENFOLD=1
# adds peak memory for 10×N sheets.
#   benches/scan.sh [N]        (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
rounds=${ROUNDS:-5}
cargo build --release --example bench_scan
b=target/release/examples/bench_scan
d=${TMPDIR:-/tmp}/kiemphieu-bench-scan
$b prepare "$d" "$n"
secs() { sed -E 's/.* in ([0-9.]+) s.*/\1/' <<<"$1"; }
median() { sort -n | awk '{ r[NR] = $1 } END { for (i = 1; i <= NR; i++) printf "%s ", r[i]; printf "-> median %s\n", r[int((NR + 1) / 2)] }'; }
ratios=()
profiles=()
previous=()
for _ in $(seq "$rounds"); do
  dec=$($b decode "$d")
  scn=$($b scan "$d")
  old=$(BENCH_PROFILE=1 $b scan "$d")
  printf '%s\n%s\n%s\n' "$dec" "$scn" "$old"
  ratios+=("$(awk -v a="$(secs "$dec")" -v b="$(secs "$scn")" 'BEGIN { printf "%.2f", b / a }')")
  profiles+=("$(awk -v a="$(secs "$old")" -v b="$(secs "$scn")" 'BEGIN { printf "%.2f", b / a }')")
  if [ -n "${PREVIOUS:-}" ]; then
    prev=$(BENCH_PROFILE=$PREVIOUS $b scan "$d")
    printf '%s\n' "$prev"
    previous+=("$(awk -v a="$(secs "$prev")" -v b="$(secs "$scn")" 'BEGIN { printf "%.2f", b / a }')")
  fi
done
printf 'scan / decode-only wall time, rounds sorted: '
printf '%s\n' "${ratios[@]}" | median
printf 'current profile / profile 1 scan wall time, rounds sorted: '
printf '%s\n' "${profiles[@]}" | median
if [ -n "${PREVIOUS:-}" ]; then
  printf 'current profile / profile %s scan wall time, rounds sorted: ' "$PREVIOUS"
  printf '%s\n' "${previous[@]}" | median
fi
if [ "${TENFOLD:-0}" = 1 ]; then
  $b prepare "$d-10x" $((n * 10))
  $b decode "$d-10x"
  $b scan "$d-10x"
fi
