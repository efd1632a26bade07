#!/usr/bin/env bash
# Fuzzes what reads untrusted input: the analyzer and matching, idea parsing, cursor decoding and
# webhook signature verification (fuzz/fuzz_targets/). Needs the nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz --locked`); says so and exits 0 where they are missing.
# Usage: scripts/fuzz.sh [SECONDS per target, default 15]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-15}"
if ! rustup toolchain list 2>/dev/null | grep -q nightly || ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzzing SKIPPED: needs the nightly toolchain and cargo-fuzz"
    exit 0
fi
for target in $(cargo +nightly fuzz list); do
    echo "fuzzing $target for ${seconds} s"
    cargo +nightly fuzz run -s none "$target" -- -max_total_time="$seconds"
done
