#!/usr/bin/env python3
"""Markdown tables from the fusion benchmarks' criterion results.

Reads target/criterion/**/new/benchmark.json (group, function, throughput) and the matching
estimates.json (median), groups them by criterion group, and prints one row per group:
`ours` median, each comparison's median with its ratio to ours (that time / ours time, so
above 1 means ours is faster), ours in GB/s, the group's STREAM triad probe in GB/s and ours as
a percentage of it (and of the `stream_read` probe where the group has one). Groups whose
throughput is in elements (GEMM: flops) show G/s and no bandwidth share.

Usage:
  python3 tools/bench_table.py                 # groups starting with "fusion/"
  python3 tools/bench_table.py --long          # also one line per benchmark
  python3 tools/bench_table.py --prefix '' --root target/criterion --baseline new
"""
import argparse
import json
import os
import sys

PROBES = ("stream_triad", "stream_read")
STANDARD = ("hand", "unfused", "ndarray_ops", "ndarray_zip")
# report order of the families (a group not listed goes last, alphabetically)
ORDER = ("triad", "affine_leaky", "outer_bias", "where_clip", "cast_i32", "exp_sqrt_log1p",
         "softmax_rows", "sum_sq_diff", "row_sums", "col_sums", "every_other", "transposed_add",
         "alloc_vs_into", "dense_relu")


def load(root, baseline, prefix):
    """{group: {function: (median_ns, throughput_kind, throughput_amount)}}"""
    groups = {}
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != baseline or "benchmark.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        group = bench["group_id"]
        if not group.startswith(prefix):
            continue
        with open(os.path.join(dirpath, "estimates.json")) as f:
            median = json.load(f)["median"]["point_estimate"]
        func = bench.get("function_id") or bench.get("value_str") or "?"
        kind, amount = next(iter((bench.get("throughput") or {"": 0}).items()))
        groups.setdefault(group, {})[func] = (median, kind, amount)
    return groups


def order_key(group, prefix):
    family = group[len(prefix):]
    for i, name in enumerate(ORDER):
        if family.startswith(name):
            return (i, family)
    return (len(ORDER), family)


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def rate(entry):
    """GB/s for byte throughput, G/s for elements, None without throughput."""
    median, kind, amount = entry
    return amount / median if amount else None  # bytes per ns = GB/s


def cell(entry, ours):
    return f"{fmt_time(entry[0])} ({entry[0] / ours[0]:.2f}x)"


def share(ours, probe):
    if probe is None or ours[1] != "Bytes" or probe[1] != "Bytes":
        return "-"
    return f"{100 * rate(ours) / rate(probe):.0f}%"


def summary(groups, prefix):
    extras_seen = any(f not in STANDARD + PROBES + ("ours",) for g in groups.values() for f in g)
    head = ["case", "ours"] + list(STANDARD) + (["other"] if extras_seen else [])
    head += ["ours GB/s", "triad GB/s", "% of triad", "% of read"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name in sorted(groups, key=lambda g: order_key(g, prefix)):
        funcs = groups[name]
        ours = funcs.get("ours")
        if ours is None:
            continue
        row = [name[len(prefix):], fmt_time(ours[0])]
        row += [cell(funcs[f], ours) if f in funcs else "-" for f in STANDARD]
        if extras_seen:
            extras = [f for f in funcs if f not in STANDARD + PROBES + ("ours",)]
            row.append("; ".join(f"{f} {cell(funcs[f], ours)}" for f in sorted(extras)) or "-")
        unit = "" if ours[1] == "Bytes" else " G/s"
        row.append(f"{rate(ours):.2f}{unit}" if rate(ours) else "-")
        triad = funcs.get("stream_triad")
        row.append(f"{rate(triad):.2f}" if triad else "-")
        row += [share(ours, triad), share(ours, funcs.get("stream_read"))]
        print("| " + " | ".join(row) + " |")


def long_table(groups, prefix):
    print("\n| case | benchmark | median | rate | % of triad |")
    print("|---|---|---|---|---|")
    for name in sorted(groups, key=lambda g: order_key(g, prefix)):
        funcs = groups[name]
        triad = funcs.get("stream_triad")
        for func, entry in sorted(funcs.items(), key=lambda kv: kv[1][0]):
            unit = " GB/s" if entry[1] == "Bytes" else " G/s"
            r = f"{rate(entry):.2f}{unit}" if rate(entry) else "-"
            print(f"| {name[len(prefix):]} | {func} | {fmt_time(entry[0])} | {r} | {share(entry, triad)} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=os.path.join("target", "criterion"))
    p.add_argument("--baseline", default="new", help="criterion baseline directory (default: new)")
    p.add_argument("--prefix", default="fusion/", help="only groups whose id starts with this")
    p.add_argument("--long", action="store_true", help="also print every benchmark on its own line")
    args = p.parse_args()
    groups = load(args.root, args.baseline, args.prefix)
    if not groups:
        sys.exit(f"no criterion results under {args.root} for groups starting with {args.prefix!r}")
    print("Medians; (Nx) = that time / ours (above 1: ours is faster). "
          "Bandwidth shares use the triad/read probes of the same group.\n")
    summary(groups, args.prefix)
    if args.long:
        long_table(groups, args.prefix)


if __name__ == "__main__":
    main()
