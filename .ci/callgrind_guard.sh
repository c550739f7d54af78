#!/usr/bin/env bash
# Performance regression guard on instruction counts, which unlike timings are stable on a
# shared machine. Runs each probe of examples/callgrind_probe.rs (fixed kernels, fixed sizes,
# fixed data) under valgrind's callgrind, counting only the kernel call, and fails when a
# count grows more than 10% over .ci/callgrind_baseline.txt. A probe that got more than 10%
# cheaper is reported (update the baseline to lock the gain in).
#
# Counts repeat exactly run to run; the environment's size shifts heap and stack addresses and
# with them a few dozen instructions of alignment handling (measured: 32 of 2.4 million), far
# below the limit.
#
# Usage:
#   .ci/callgrind_guard.sh            check against the baseline
#   .ci/callgrind_guard.sh --update   rewrite the baseline from this build
# Updating the baseline is a deliberate commit of .ci/callgrind_baseline.txt whose message
# says why the counts moved (a new algorithm, a new toolchain: counts depend on rustc and on
# the build flags in .cargo/config.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# one thread: counts must not depend on how rayon's workers are scheduled
export ARRAY_EXPR_NUM_THREADS=1
baseline=.ci/callgrind_baseline.txt
limit=10 # percent

if ! command -v valgrind >/dev/null; then
    echo "installing valgrind"
    (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
fi
cargo build --release --features ndarray --example callgrind_probe >/dev/null 2>&1 ||
    cargo build --release --features ndarray --example callgrind_probe
exe=target/release/examples/callgrind_probe

count() {
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='callgrind_probe::probe_*' \
        "$exe" "$1" >/dev/null 2>&1
    sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out"
    rm -f "$out"
}

declare -A base=()
if [ -f "$baseline" ]; then
    while read -r name n; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        base[$name]=$n
    done <"$baseline"
fi

status=0
results=()
for probe in $("$exe" list); do
    n=$(count "$probe")
    if [ -z "$n" ] || [ "$n" -eq 0 ]; then
        echo "FAIL $probe: no instructions counted (is the probe function still named probe_*?)"
        status=1
        continue
    fi
    results+=("$probe $n")
    old=${base[$probe]:-}
    if [ -z "$old" ]; then
        printf '%-24s %12d  (not in the baseline)\n' "$probe" "$n"
        [ "${1:-}" = "--update" ] || status=1
        continue
    fi
    pct=$(( (n - old) * 1000 / old ))
    change=$(printf '%+d.%d%%' $((pct / 10)) $(( (pct < 0 ? -pct : pct) % 10 )))
    if [ $((n * 100)) -gt $((old * (100 + limit))) ]; then
        verdict="REGRESSION (limit +$limit%)"
        status=1
    elif [ $((n * 100)) -lt $((old * (100 - limit))) ]; then
        verdict="improved; update the baseline"
    else
        verdict="ok"
    fi
    printf '%-24s %12d  baseline %12d  %8s  %s\n' "$probe" "$n" "$old" "$change" "$verdict"
done

if [ "${1:-}" = "--update" ]; then
    {
        echo "# Instruction counts of examples/callgrind_probe.rs (valgrind callgrind, kernel call only)."
        echo "# Checked by .ci/callgrind_guard.sh (fails above +$limit%); regenerate with --update and"
        echo "# commit with the reason. $(rustc --version), flags from .cargo/config.toml."
        printf '%s\n' "${results[@]}"
    } >"$baseline"
    echo "wrote $baseline"
    exit 0
fi
exit $status
