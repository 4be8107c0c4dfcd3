"""The `reach` section of bench/bench.py: compressed rotated logs.

The 200 MB corpus compressed per file with gzip (-6) and with zstd (-3),
and as one .tar.gz; the 1 GiB single-file corpus (one 50 MB line) as one
.gz for peak memory. Baselines, in the same run: `zcat FILES | rg -c`
(and `zstdcat`), and for redact a `zcat | sed | gzip` loop (not
crash-safe, one format only). Corpora are made once, beside the others.
"""
import os
import shutil
import subprocess

from bench import CFSCRUB, TOKEN_RE, fresh_copy, median_of, row, sh, size_mb, warm

PATTERN = "cfut_|cfat_|cfk_|cfast_"


def compressed_tree(src, dst, cmd, ext):
    if os.path.exists(os.path.join(dst, ".done")):
        return dst
    print(f"compressing {os.path.basename(dst)} ...", flush=True)
    shutil.rmtree(dst, ignore_errors=True)
    for root, _, files in os.walk(src):
        out_dir = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(out_dir, exist_ok=True)
        for f in files:
            with open(os.path.join(root, f), "rb") as i, open(os.path.join(out_dir, f + ext), "wb") as o:
                subprocess.run(cmd, stdin=i, stdout=o, check=True)
    open(os.path.join(dst, ".done"), "w").close()
    return dst


def files_of(d):
    return sorted(os.path.join(r, f) for r, _, fs in os.walk(d) for f in fs if f != ".done")


def bench_reach(c200, huge, bench, runs):
    src = os.path.join(c200, "corpus")
    mb = size_mb(src)
    gz = compressed_tree(src, os.path.join(bench, "reach-gz"), ["gzip", "-6", "-c"], ".gz")
    zst = compressed_tree(src, os.path.join(bench, "reach-zst"), ["zstd", "-q", "-3", "-c"], ".zst")
    tgz = os.path.join(bench, "reach-corpus.tar.gz")
    if not os.path.exists(tgz):
        subprocess.run(["tar", "-czf", tgz, "-C", c200, "corpus"], check=True)
    print("reach: compressed corpora, %.0f MB uncompressed (median of %d, warm cache; load %.1f %.1f %.1f)"
          % ((mb, runs) + os.getloadavg()))
    for name, tree, cat in (("gzip per file", gz, "zcat"), ("zstd per file", zst, "zstdcat")):
        warm(tree)
        files = files_of(tree)
        pipe = ["sh", "-c", f'{cat} "$@" | rg -c "{PATTERN}"', "sh"] + files
        base_t, base_m = median_of(runs, lambda: sh(pipe))
        print(f" {name}:")
        row(f"{cat} … | rg -c (baseline)", base_t, base_m, mb)
        for j in (1, 2):
            t, m = median_of(runs, lambda: sh([CFSCRUB, "scan", "--format", "json", "-q", "-j", str(j), tree]))
            row(f"cfscrub scan -j{j}", t, m, mb, base_t)
    warm(os.path.dirname(tgz))
    base_t, base_m = median_of(runs, lambda: sh(["sh", "-c", f'tar -xOzf "$1" | rg -c "{PATTERN}"', "sh", tgz]))
    t, m = median_of(runs, lambda: sh([CFSCRUB, "scan", "--format", "json", "-q", tgz]))
    print(" one .tar.gz:")
    row("tar -xOzf | rg -c (baseline)", base_t, base_m, mb)
    row("cfscrub scan", t, m, mb, base_t)

    dst = os.path.join(bench, "reach-redact-copy")
    prep = fresh_copy(gz, dst)
    loop = ("for f; do zcat \"$f\" | sed -E 's/" + TOKEN_RE + "/[REDACTED_CF_TOKEN]/g' | gzip > \"$f.tmp\""
            " && mv \"$f.tmp\" \"$f\"; done")
    base_t, base_m = median_of(runs, lambda: sh(["sh", "-c", loop, "sh"] + files_of(dst)), prep)
    red_t, red_m = median_of(runs, lambda: sh([CFSCRUB, "redact", "-q", dst]), prep)
    print(" redact of the gzip corpus (fresh copy each run):")
    row("zcat | sed | gzip per file (baseline)", base_t, base_m, mb)
    row("cfscrub redact", red_t, red_m, mb, base_t)

    big = os.path.join(bench, "reach-huge.gz")
    if not os.path.exists(big):
        print("compressing the 1 GiB corpus ...", flush=True)
        data = files_of(os.path.join(huge, "corpus"))
        with open(big, "wb") as o:
            subprocess.run(["gzip", "-1", "-c"] + data, stdout=o, check=True)
    hmb = size_mb(os.path.join(huge, "corpus"))
    base_t, base_m = median_of(runs, lambda: sh(["sh", "-c", f'zcat "$1" | rg -c "{PATTERN}"', "sh", big]))
    t, m = median_of(runs, lambda: sh([CFSCRUB, "scan", "--format", "json", "-q", big]))
    print(" 1 GiB uncompressed .gz with a 50 MB line (peak RSS target 64 MiB):")
    row("zcat | rg -c (baseline)", base_t, base_m, hmb)
    row("cfscrub scan", t, m, hmb, base_t)
    # redact of it: survey, recompress, verify (one run: it takes a while).
    copy = os.path.join(bench, "reach-huge-copy")
    def prep():
        shutil.rmtree(copy, ignore_errors=True)
        os.makedirs(copy)
        shutil.copy(big, copy)
    rt, rm = median_of(1, lambda: sh([CFSCRUB, "redact", "-q", copy]), prep)
    row("cfscrub redact (1 run)", rt, rm, hmb)
    shutil.rmtree(copy, ignore_errors=True)
    print(" load at the end: %.1f %.1f %.1f" % os.getloadavg())
