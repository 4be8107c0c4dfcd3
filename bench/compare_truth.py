#!/usr/bin/env python3
"""Compare `cfscrub scan --format json` output with a corpus's ground_truth.json.

Usage: compare_truth.py CORPUS_DIR FINDINGS.jsonl
A planted item counts as found when a finding has the same file, offset and
length. Every other finding is a false positive. Kind b (wrong checksum) must
come out at low confidence. Prints one line per kind and exits 1 on a miss or
a false positive.
"""
import collections
import json
import os
import sys

root, findings_path = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(root, "ground_truth.json")))["items"]
prefix = os.path.join(root, "corpus") + os.sep
found = {}
for line in open(findings_path):
    obj = json.loads(line)
    if obj.get("type") != "finding":
        continue
    path = obj["path"]
    if path.startswith(prefix):
        path = path[len(prefix):]
    found[(path, obj["offset"], obj["length"])] = obj
per_kind = collections.Counter(t["kind"] for t in truth)
hit = collections.Counter()
bad_conf = collections.Counter()
for t in truth:
    f = found.pop((t["file"], t["offset"], t["length"]), None)
    if f is None:
        continue
    hit[t["kind"]] += 1
    if t["kind"] == "b" and f["confidence"] != "low":
        bad_conf["b"] += 1
ok = True
for k in sorted(per_kind):
    extra = f" ({bad_conf[k]} not low-confidence)" if bad_conf[k] else ""
    print(f"kind {k}: {hit[k]}/{per_kind[k]}{extra}")
    ok &= hit[k] == per_kind[k] and not bad_conf[k]
print(f"false positives: {len(found)}")
for key, f in list(found.items())[:5]:
    print("  FP", key, f["kind"])
sys.exit(0 if ok and not found else 1)
