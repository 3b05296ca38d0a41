#!/usr/bin/env bash
# Scanner speed and memory as ratios within one run: full scan vs decode-only of the same
# 300-dpi JPEG sheets, and peak memory for N and 10×N sheets.
#   benches/scan.sh [N]        (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
cargo build --release --example bench_scan
b=target/release/examples/bench_scan
d=${TMPDIR:-/tmp}/kiemphieu-bench-scan
$b prepare "$d" "$n"
$b decode "$d"
$b scan "$d"
if [ "${TENFOLD:-0}" = 1 ]; then
  $b prepare "$d-10x" $((n * 10))
  $b decode "$d-10x"
  $b scan "$d-10x"
fi
