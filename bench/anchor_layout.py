#!/usr/bin/env python3
"""Chooses which anchor keys share a Teddy bucket (src/core/detect/finder.rs,
BUCKETS), by measuring how much text each bucket would fit.

Usage:
  cargo test --lib the_anchor_literals_fit_the_fast_layout -- --nocapture \\
      | sed -n 's/^anchor literal //p' > /tmp/literals.txt
  python3 bench/anchor_layout.py --literals /tmp/literals.txt \\
      [--restarts 8] [--seed 1] [--try BUCKETS.json] SAMPLE ...

Each SAMPLE is a text file (say 100 MB of the benchmark corpus, and as much
real text: crate sources, a `git log -p`, a language's library); every sample
weighs the same. A key is a literal's first four bytes, lower-case; the
search checks a key's literals after Teddy reports it, so what costs time is
how often a bucket's nibble masks fit text that is not a key (Teddy then
compares each of the bucket's patterns): the cost of a bucket is its fit rate
times (1 + its patterns), the fillers counted in the last bucket (see
`layout` in finder.rs). Hill climbing from random starts (moves and swaps of
keys, those with the same low nibbles together) keeps the cheapest layout.
It prints each bucket's keys and fit rate (per million positions); put the
buckets in BUCKETS in finder.rs, the first key of the last bucket (`0x4a`)
being the filler, and measure the scan. --try prints a given layout's cost
(a JSON list of 8 lists of keys) instead of searching.
"""
import argparse
import json
import random

import numpy as np

SLOTS = 8
MASK = 4
FILLER = b"0x4a"


def grams(path):
    """The distinct 4-byte windows of the lower-cased file, with counts."""
    x = np.frombuffer(open(path, "rb").read(), dtype=np.uint8)
    x = np.where((x >= 65) & (x <= 90), x + 32, x).astype(np.uint32)
    g = x[:-3] | (x[1:-2] << 8) | (x[2:-1] << 16) | (x[3:] << 24)
    return np.unique(g, return_counts=True)


def fits(keys, u):
    """Which 4-byte windows in u Teddy's nibble masks for keys let through."""
    ok = np.ones(len(u), bool)
    for k in range(MASK):
        byte = (u >> (8 * k)) & 0xFF
        lo = np.zeros(16, bool)
        hi = np.zeros(16, bool)
        for key in keys:
            lo[key[k] & 0xF] = True
            hi[key[k] >> 4] = True
        ok &= lo[byte & 0xF] & hi[byte >> 4]
    return ok


class Model:
    def __init__(self, literals, samples):
        self.keys = sorted({l[:MASK] for l in literals})
        # Patterns per key: its literals cut to the shortest (finder.rs).
        self.patterns = {}
        for key in self.keys:
            group = [l for l in literals if l.startswith(key)]
            cut = min(map(len, group))
            self.patterns[key] = len({l[:cut] for l in group})
        self.samples = []
        for path in samples:
            u, c = grams(path)
            ok = fits(self.keys, u)  # only these can fit any bucket
            self.samples.append((u[ok], c[ok], c.sum()))
        self.cache = {}

    def fit_rate(self, bucket):
        bucket = tuple(sorted(bucket))
        if not bucket:
            return 0.0
        if bucket not in self.cache:
            self.cache[bucket] = sum(
                int(c[fits(bucket, u)].sum()) / total * 1e6 for u, c, total in self.samples
            )
        return self.cache[bucket]

    def cost(self, buckets):
        nibbles = [len({tuple(b & 0xF for b in k) for k in bucket}) for bucket in buckets]
        fillers = sum(max(nibbles) - n for n in nibbles)
        return sum(
            self.fit_rate(bucket)
            * (1 + sum(self.patterns[k] for k in bucket) + (fillers if i == SLOTS - 1 else 0))
            for i, bucket in enumerate(buckets)
        )


def climb(model, groups, place):
    def buckets():
        return [[k for k in model.keys if place[k] == b] for b in range(SLOTS)]

    def put(group, b):
        for k in group:
            place[k] = b

    best = model.cost(buckets())
    better = True
    while better:
        better = False
        movable = [g for g in groups if FILLER not in g]
        for g in movable:
            here = place[g[0]]
            for b in range(SLOTS):
                put(g, b)
                c = model.cost(buckets())
                if c < best - 1e-9:
                    best, here, better = c, b, True
            put(g, here)
        for i, gi in enumerate(movable):
            for gj in movable[i + 1:]:
                bi, bj = place[gi[0]], place[gj[0]]
                if bi == bj:
                    continue
                put(gi, bj)
                put(gj, bi)
                c = model.cost(buckets())
                if c < best - 1e-9:
                    best, better = c, True
                else:
                    put(gi, bi)
                    put(gj, bj)
    return best, buckets()


def show(model, buckets):
    print("cost %.1f" % model.cost(buckets))
    for bucket in buckets:
        print("  %8.1f  %s" % (model.fit_rate(bucket), [k.decode() for k in bucket]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--literals", required=True)
    ap.add_argument("--restarts", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--try", dest="layout")
    ap.add_argument("samples", nargs="+")
    args = ap.parse_args()
    literals = sorted({l.lower().encode() for l in open(args.literals).read().split("\n") if l})
    model = Model(literals, args.samples)
    if args.layout:
        starts = json.load(open(args.layout))
        show(model, [[k for k in model.keys if any(k.startswith(s.encode()) for s in b)]
                     for b in starts])
        return
    groups = {}
    for k in model.keys:
        groups.setdefault(tuple(b & 0xF for b in k), []).append(k)
    groups = list(groups.values())
    random.seed(args.seed)
    best = None
    for r in range(args.restarts):
        place = {}
        for g in groups:
            b = SLOTS - 1 if FILLER in g else random.randrange(SLOTS)
            for k in g:
                place[k] = b
        cost, buckets = climb(model, groups, place)
        print("start %d: cost %.1f" % (r, cost), flush=True)
        if best is None or cost < best[0]:
            best = (cost, buckets)
    show(model, best[1])


if __name__ == "__main__":
    main()
