#!/usr/bin/env python3
"""Compares `scan -j 1` of two or more cfscrub binaries on one corpus.

Usage: python3 bench/compare_scan.py [--runs 5] CORPUS BASELINE_BIN OTHER_BIN...

Runs are interleaved (baseline, other, baseline, ...) after one warm-up
run each; prints, per binary, the median CPU time (user + sys of the
child, from getrusage) and wall time with their ratio to the first
binary, then the load average: the machine is shared, so only ratios
measured in the same run mean anything. Build the baseline from the
commit to compare against (e.g. `git worktree add` at main, then
`cargo build --release` there).
"""
import argparse
import os
import resource
import statistics
import subprocess
import time


def one_run(binary, corpus):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([binary, "scan", "-j", "1", "-q", "--format", "json", corpus],
                   stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("corpus")
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    cpu = {b: [] for b in args.binaries}
    wall = {b: [] for b in args.binaries}
    for b in args.binaries:
        one_run(b, args.corpus)
    for _ in range(args.runs):
        for b in args.binaries:
            c, w = one_run(b, args.corpus)
            cpu[b].append(c)
            wall[b].append(w)
    base = args.binaries[0]
    base_cpu, base_wall = statistics.median(cpu[base]), statistics.median(wall[base])
    for b in args.binaries:
        mc, mw = statistics.median(cpu[b]), statistics.median(wall[b])
        runs = " ".join(f"{x:.3f}" for x in cpu[b])
        print(f"{b}: cpu {mc:.3f} s ({mc / base_cpu:.2f}x)  wall {mw:.3f} s ({mw / base_wall:.2f}x)  cpu runs {runs}")
    print("load average:", open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
