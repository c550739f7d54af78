#!/usr/bin/env bash
# Memory checking: runs a chosen subset of the integration tests under valgrind memcheck and
# fails on any error (invalid read or write, use of uninitialised memory, invalid free, a
# definite leak). The subset covers the unsafe code: views and layouts (view.rs, layout.rs),
# the loop drivers and generated kernels (every layout, in-place updates, edge values), .npy
# files and memory maps (fuzzed), GEMM and the kernels' loads/stores.
#
# Usage: .ci/valgrind.sh [test-name ...]   (default: the subset below)
# Uses the same release build as `cargo test --workspace --features ndarray --release`, so after
# that step nothing is rebuilt. The binaries have no debug info; to get line numbers in a
# report, rerun with CARGO_PROFILE_RELEASE_DEBUG=1 (a full rebuild).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

if ! command -v valgrind >/dev/null; then
    echo "installing valgrind"
    (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
fi

# package:test-target ("lib" for a crate's unit tests)
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
    tests=(array-expr-differential:differential array-expr-differential:differential_b
        array-expr-kernels:lib array-expr-tests:edge_cases array-expr-tests:fuzz array-expr-tests:layouts array-expr-tests:npy
        array-expr-tests:mmap array-expr-tests:ops_dtypes array-expr-tests:elementwise array-expr-tests:alloc_counts array-expr-tests:gemm
        array-expr-runtime:lib array-expr-kernels:differential)
fi

# The workspace build CI already made; list its test binaries as "package:target path".
listing=$(cargo test --workspace --features ndarray --release --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        pkg = m["package_id"].split("#")[-1].split("@")[0]  # path+file:///..#name@version
        name = "lib" if "lib" in m["target"]["kind"] else m["target"]["name"]
        print(pkg + ":" + name, m["executable"])
')
exes=()
for t in "${tests[@]}"; do
    exe=$(awk -v t="$t" '$1 == t { print $2 }' <<<"$listing")
    if [ -z "$exe" ]; then
        echo "no test binary for $t; known: $(cut -d' ' -f1 <<<"$listing" | tr '\n' ' ')" >&2
        exit 1
    fi
    exes+=("$exe")
done

# Fewer fuzz cases under valgrind (each case runs ~50x slower); the native run does the rest.
export FUZZ_CASES=${FUZZ_CASES:-150}
# The generated kernels at one thread count (2, splitting) instead of 1, 2, 3 and 4.
export DIFFERENTIAL_THREADS=${DIFFERENTIAL_THREADS:-2}
# Valgrind runs a program's threads one at a time on one core, so the binaries run side by
# side, as many at once as there are cores (the longest first); reports print in list order.
jobs=${VALGRIND_JOBS:-$(nproc)}
out=$(mktemp -d)
check() {
    local i=$1 exe=$2 start
    start=$(date +%s)
    if valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite "$exe" --test-threads=2 -q >"$out/$i.log" 2>&1; then
        echo "ok   $(basename "$exe") ($(( $(date +%s) - start ))s)" >"$out/$i.res"
    else
        echo "FAIL $(basename "$exe") ($(( $(date +%s) - start ))s)" >"$out/$i.res"
    fi
}
for i in "${!exes[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    check "$i" "${exes[$i]}" &
done
wait
status=0
for i in "${!exes[@]}"; do
    cat "$out/$i.res"
    if grep -q '^FAIL' "$out/$i.res"; then
        cat "$out/$i.log"
        status=1
    fi
done
rm -rf "$out"
exit $status
