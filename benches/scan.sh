#!/usr/bin/env bash
# Scanner speed and memory as ratios within one run: full scan vs decode-only of the same
# 300-dpi JPEG sheets, alternated ROUNDS times (default 5) so that a noisy neighbour on a shared
# machine hits both alike; the median of the per-round ratios is printed last. TENFOLD=1 adds
# peak memory for 10×N sheets.
#   benches/scan.sh [N]        (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
rounds=${ROUNDS:-5}
cargo build --release --example bench_scan
b=target/release/examples/bench_scan
d=${TMPDIR:-/tmp}/kiemphieu-bench-scan
$b prepare "$d" "$n"
ratios=()
for _ in $(seq "$rounds"); do
  dec=$($b decode "$d")
  scn=$($b scan "$d")
  echo "$dec"
  echo "$scn"
  ratios+=("$(awk -v a="$dec" -v b="$scn" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f", y[5] / x[5] }')")
done
printf '%s\n' "${ratios[@]}" | sort -n |
  awk '{ r[NR] = $1 } END { printf "scan / decode-only wall time, rounds sorted: "; for (i = 1; i <= NR; i++) printf "%s ", r[i]; printf "\nmedian: %s\n", r[int((NR + 1) / 2)] }'
if [ "${TENFOLD:-0}" = 1 ]; then
  $b prepare "$d-10x" $((n * 10))
  $b decode "$d-10x"
  $b scan "$d-10x"
fi
