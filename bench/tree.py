#!/usr/bin/env python3
"""The walker benchmark: a tree of many small files, scanned by cfscrub and
by `rg -uu -c` in the same run.

Usage:
  python3 bench/tree.py [--dir DIR] [--files 1000000] [--runs 3] [--keep]
                        [--baseline PATH_TO_OTHER_CFSCRUB]

Makes DIR (default /dev/shm/cfscrub-tree, a memory file system: warm and
without wearing a disk) with --files files of about 100 bytes in
directories of 1000, a few of them holding a planted token shape (made up
here, random: none is real), then prints the median of --runs runs of
each command, interleaved, and removes DIR unless --keep. Nothing here is
a test: it prints numbers for the issue notes.
"""
import argparse
import os
import random
import shutil
import statistics
import string
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFSCRUB = os.path.join(REPO, "target", "release", "cfscrub")
PER_DIR = 1000


def make_tree(root, files):
    rng = random.Random(2026)
    alnum = string.ascii_letters + string.digits
    planted = 0
    for i in range(files):
        d = os.path.join(root, f"d{i // PER_DIR:04d}")
        if i % PER_DIR == 0:
            os.makedirs(d, exist_ok=True)
        line = f"2026-11-25T17:00:{i % 60:02d}Z step {i} ok: build finished in {i % 97} ms\n"
        if i % 100_000 == 50_000:
            body = "".join(rng.choice(alnum) for _ in range(40))
            tail = "".join(rng.choice("0123456789abcdef") for _ in range(8))
            line += f"export CLOUDFLARE_API_TOKEN=cfut_{body}{tail}\n"
            planted += 1
        with open(os.path.join(d, f"f{i:07d}.log"), "w") as f:
            f.write(line)
    return planted


def timed(cmd):
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, code


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/dev/shm/cfscrub-tree")
    ap.add_argument("--files", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--baseline", help="another cfscrub binary to time the same way")
    args = ap.parse_args()
    if not os.path.isdir(args.dir):
        start = time.perf_counter()
        planted = make_tree(args.dir, args.files)
        print(f"made {args.files} files ({planted} planted) in {time.perf_counter() - start:.0f} s")
    commands = {
        "cfscrub scan -q": [CFSCRUB, "scan", "-q", args.dir],
        "rg -uu -c 'cfut_|cfat_|cfk_'": ["rg", "-uu", "-c", "cfut_|cfat_|cfk_", args.dir],
    }
    if args.baseline:
        commands["baseline cfscrub scan -q"] = [args.baseline, "scan", "-q", args.dir]
    for name, cmd in commands.items():  # warm-up
        secs, _ = timed(cmd)
        print(f"{name:32} warm-up {secs:7.2f} s", flush=True)
    times = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            secs, code = timed(cmd)
            # Both found the planted shapes: cfscrub exits 1, rg 0.
            assert code == (0 if cmd[0] == "rg" else 1), f"{name}: exit {code}"
            times[name].append(secs)
    for name, ts in times.items():
        print(f"{name:32} median {statistics.median(ts):7.2f} s  runs {', '.join(f'{t:.2f}' for t in ts)}")
    if not args.keep:
        shutil.rmtree(args.dir)


if __name__ == "__main__":
    main()
