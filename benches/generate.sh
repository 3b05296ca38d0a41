#!/usr/bin/env bash
# Printing 1,000 ballots: time and PDF size.   benches/generate.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --example bench_generate -- "${1:-1000}"
