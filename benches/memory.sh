#!/usr/bin/env bash
# Memory and time of scan and audit (issue 10): N and 10×N 300-dpi JPEG sheets, then the N sheets
# with hostile files mixed in (40 pages of 14,000² claimed in a TIFF, a PNG of 14,000², a PDF of
# 999 blank pages, a PDF page holding a 60,000² 1-bit image, a FIFO, a link to /dev/zero).
# Each line gives the peak resident memory (VmHWM) of its own process. The bar: under 300 MB,
# flat from N to 10×N, and audit within 1.5× of scan's time.
#   benches/memory.sh [N]        (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
cargo build --release --example bench_scan
b=${CARGO_TARGET_DIR:-target}/release/examples/bench_scan
d=${TMPDIR:-/tmp}/kiemphieu-bench-memory
for count in "$n" $((n * 10)); do
  $b prepare "$d-$count" "$count"
  $b scan "$d-$count"
  $b audit "$d-$count"
done
$b hostile "$d-$n"
$b scan "$d-$n"
$b audit "$d-$n"
