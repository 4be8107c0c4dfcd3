#!/usr/bin/env python3
"""cfscrub benchmarks: ratios against a baseline measured in the same run.

Usage:
  python3 bench/bench.py [--bench DIR] [--runs 5] [--baseline BIN] [SECTION ...]

Sections: scan, accuracy, redact, filter, reach (compressed corpora:
bench/reach.py) (default: all). Corpora are made with
bench/gen_corpus.py into DIR (default $BENCH or /tmp/cfscrub-bench),
outside the repository: they are large and full of token shapes.
Every figure is the median of --runs runs, warm cache; peak RSS comes from
GNU time, CPU time (user + system) from the measured process's rusage.
--baseline times another cfscrub binary (an older build, say) beside
this one in the scan, filter and redact sections, runs interleaved, and
prints this build's time as a ratio of its time: wall (ratio of the
medians) and CPU (median of the runs' paired ratios, which the machine's
other load disturbs less). Nothing here is a test: it prints numbers for
the issue notes.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GEN = os.environ.get("GEN_CORPUS", os.path.join(REPO, "bench", "gen_corpus.py"))
CFSCRUB = os.path.join(REPO, "target", "release", "cfscrub")
# --baseline: another cfscrub binary timed the same way.
OTHER = None
TOKEN_RE = r"cf(ut|at|k)_[A-Za-z0-9]{40}[0-9a-f]{8}"


def waited(proc):
    """Waits for proc; returns (exit code, CPU seconds: user + system of
    it and the children it waited for)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def sh(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Runs cmd under GNU time; returns (seconds, peak RSS in KiB, exit
    code, CPU seconds). (wait4's ru_maxrss would count the forked Python
    before exec; its CPU times do not.)"""
    rss_file = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cfscrub-bench-rss")
    start = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd,
                            stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
    code, cpu = waited(proc)
    secs = time.perf_counter() - start
    with open(rss_file) as f:
        rss = int(f.read().strip().splitlines()[-1])
    return secs, rss, code, cpu


def median_of(runs, fn, prepare=None):
    times, rss = [], []
    for _ in range(runs):
        if prepare:
            prepare()
        t, m = fn()[:2]
        times.append(t)
        rss.append(m)
    return statistics.median(times), max(rss)


def medians_of(runs, fns, prepare=None):
    """median_of for several commands, their runs interleaved (so that
    the machine's load drifts over all of them alike; the order turns
    each run). Each result is (median seconds, peak RSS, CPU seconds of
    each run)."""
    times, rss, cpus = [[] for _ in fns], [[] for _ in fns], [[] for _ in fns]
    for r in range(runs):
        order = list(enumerate(fns))
        for i, fn in order[r % len(fns):] + order[:r % len(fns)]:
            if prepare:
                prepare()
            t, m, _, cpu = fn()
            times[i].append(t)
            rss[i].append(m)
            cpus[i].append(cpu)
    return [(statistics.median(t), max(m), c) for t, m, c in zip(times, rss, cpus)]


def vs_baseline(label, mine, other, mb):
    """Prints the --baseline binary's row and this build's ratios to it:
    wall (of the medians) and CPU (the median of the paired runs' ratios)."""
    row(f"{label} [--baseline build]", other[0], other[1], mb)
    cpu = statistics.median(m / o for m, o in zip(mine[2], other[2]) if o > 0)
    print(f"  {'':<44} this build: {mine[0] / other[0]:5.3f}x the --baseline build's wall time, "
          f"{cpu:5.3f}x its CPU time (median CPU {statistics.median(mine[2]):.3f} s"
          f" vs {statistics.median(other[2]):.3f} s)")


def corpus(bench, name, args):
    out = os.path.join(bench, name)
    if not os.path.exists(os.path.join(out, "ground_truth.json")):
        print(f"generating {name} corpus ...", flush=True)
        subprocess.run([sys.executable, GEN, "--out", out] + args, check=True, stdout=subprocess.DEVNULL)
    return out


def warm(path):
    subprocess.run(["cat"] + [os.path.join(r, f) for r, _, fs in os.walk(path) for f in fs],
                   stdout=subprocess.DEVNULL, check=False)


def size_mb(path):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs) / 1e6


def row(label, secs, rss, mb, base=None):
    ratio = f"  {secs / base:5.2f}x baseline" if base else ""
    print(f"  {label:<44} {secs:7.3f} s {mb / secs:8.0f} MB/s  peak {rss / 1024:7.1f} MiB{ratio}")


def bench_scan(c200, huge, runs):
    print("scan (median of %d, warm cache)" % runs)
    for name, root in (("200 MB / 400 files", c200), ("1 GiB single file, 50 MB line", huge)):
        data = os.path.join(root, "corpus")
        mb = size_mb(data)
        warm(data)
        rg_t, rg_m = median_of(runs, lambda: sh(["rg", "-uu", "-c", "cfut_|cfat_|cfk_|cfast_", data]))
        bins = [CFSCRUB] + ([OTHER] if OTHER else [])
        timed = medians_of(runs, [lambda b=b: sh([b, "scan", "--format", "json", "-q", data]) for b in bins])
        cf_t, cf_m, _ = timed[0]
        print(f" {name}:")
        row("rg -uu -c 'cfut_|cfat_|cfk_|cfast_' (baseline)", rg_t, rg_m, mb)
        row("cfscrub scan --format json", cf_t, cf_m, mb, rg_t)
        if OTHER:
            vs_baseline("cfscrub scan --format json", timed[0], timed[1], mb)


def bench_accuracy(c200, huge):
    print("accuracy against ground_truth.json")
    for root in (c200, huge):
        out = os.path.join(root, "findings.jsonl")
        with open(out, "wb") as f:
            sh([CFSCRUB, "scan", "--format", "json", "-q", os.path.join(root, "corpus")], stdout=f)
        print(f" {os.path.basename(root)}:", flush=True)
        subprocess.run([sys.executable, os.path.join(REPO, "bench", "compare_truth.py"), root, out])


def fresh_copy(src, dst):
    def prepare():
        if os.path.exists(dst):
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
        warm(dst)
    return prepare


def fsync_floor(src, dst):
    """Writes every file of src to a temp file beside its copy in dst with
    fsync + rename + directory fsync: the floor of a crash-safe rewrite."""
    start = time.perf_counter()
    for root, _, files in os.walk(dst):
        for f in files:
            path = os.path.join(root, f)
            with open(path, "rb") as fh:
                data = fh.read()
            tmp = path + ".tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
            os.rename(tmp, path)
            dfd = os.open(root, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
    return time.perf_counter() - start, 0, 0, 0


def bench_redact(c200, huge, bench, runs):
    print("redact (median of %d, fresh copy each run, warm cache)" % runs)
    src = os.path.join(c200, "corpus")
    dst = os.path.join(bench, "redact-copy")
    mb = size_mb(src)
    prep = fresh_copy(src, dst)
    sed = ["sed", "-i", "-E", "s/" + TOKEN_RE + "/[REDACTED_CF_TOKEN]/g"]
    files = lambda: sorted(os.path.join(r, f) for r, _, fs in os.walk(dst) for f in fs)
    sed_t, sed_m = median_of(runs, lambda: sh(sed + files()), prep)
    floor_t, _ = median_of(runs, lambda: fsync_floor(src, dst), prep)
    bins = [CFSCRUB] + ([OTHER] if OTHER else [])
    reds = medians_of(runs, [lambda b=b: sh([b, "redact", "-q", dst]) for b in bins], prep)
    sames = medians_of(runs, [lambda b=b: sh([b, "redact", "--same-length", "-q", dst]) for b in bins], prep)
    (red_t, red_m, _), (same_t, same_m, _) = reds[0], sames[0]
    ver_t, ver_m = median_of(runs, lambda: sh([CFSCRUB, "verify", "-q", dst]))
    scan_t, _ = median_of(runs, lambda: sh([CFSCRUB, "scan", "-q", dst]))
    print(" 200 MB / 400 files:")
    row("sed -i -E (one kind, not crash-safe; baseline)", sed_t, sed_m, mb)
    row("write+fsync+rename floor (python)", floor_t, 0, mb, sed_t)
    row("cfscrub redact", red_t, red_m, mb, sed_t)
    print(f"  {'':<44} {red_t / floor_t:5.2f}x the fsync floor")
    row("cfscrub redact --same-length", same_t, same_m, mb, sed_t)
    if OTHER:
        vs_baseline("cfscrub redact", reds[0], reds[1], mb)
        vs_baseline("cfscrub redact --same-length", sames[0], sames[1], mb)
    row("cfscrub verify (after redaction)", ver_t, ver_m, mb)
    row("cfscrub scan (same files)", scan_t, 0, mb)
    hsrc = os.path.join(huge, "corpus")
    hdst = os.path.join(bench, "redact-huge")
    hmb = size_mb(hsrc)
    hprep = fresh_copy(hsrc, hdst)
    hruns = max(1, runs // 2)
    h_t, h_m = median_of(hruns, lambda: sh([CFSCRUB, "redact", "-q", hdst]), hprep)
    hs_t, hs_m = median_of(hruns, lambda: sh([CFSCRUB, "redact", "--same-length", "-q", hdst]), hprep)
    print(" 1 GiB single file, 50 MB line (median of %d):" % hruns)
    row("cfscrub redact", h_t, h_m, hmb)
    row("cfscrub redact --same-length", hs_t, hs_m, hmb)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.rmtree(hdst, ignore_errors=True)


def bench_filter(c200, huge, runs):
    print("filter (median of %d): one stream of the whole corpus through a pipe" % runs)
    for name, root in (("200 MB corpus as one stream", c200), ("1 GiB file, 50 MB line", huge)):
        data = os.path.join(root, "corpus")
        files = sorted(os.path.join(r, f) for r, _, fs in os.walk(data) for f in fs)
        mb = size_mb(data)
        warm(data)
        rss = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cfscrub-bench-filter-rss")

        def pipe(consumer):
            """cat FILES | consumer > /dev/null: wall time, and the
            consumer's CPU time."""
            def go():
                start = time.perf_counter()
                cat = subprocess.Popen(["cat"] + files, stdout=subprocess.PIPE)
                with open(os.devnull, "wb") as null:
                    proc = subprocess.Popen(consumer, stdin=cat.stdout, stdout=null)
                cat.stdout.close()
                _, cpu = waited(proc)
                cat.wait()
                return time.perf_counter() - start, 0, 0, cpu
            return go
        cat_t, _ = median_of(runs, pipe(["cat"]))
        sed_t, _ = median_of(runs, pipe(["sed", "-E", f"s/{TOKEN_RE}/[REDACTED_CF_TOKEN]/g"]))
        bins = [CFSCRUB] + ([OTHER] if OTHER else [])
        timed = medians_of(runs, [pipe([b, "filter"]) for b in bins])
        cf_t = timed[0][0]
        median_of(1, pipe(["/usr/bin/time", "-f", "%M", "-o", rss, CFSCRUB, "filter"]))
        with open(rss) as f:
            peak = int(f.read().split()[-1])
        print(f" {name}:")
        row("cat | cat (pipe bandwidth)", cat_t, 0, mb)
        row("cat | sed -E (one kind; baseline)", sed_t, 0, mb)
        row("cat | cfscrub filter", cf_t, peak, mb, sed_t)
        print(f"  {'':<44} {sed_t / cf_t:5.2f}x sed's throughput, {cf_t / cat_t:5.2f}x the cat pipe's time")
        if OTHER:
            vs_baseline("cat | cfscrub filter", timed[0], timed[1], mb)


SECTIONS = {"scan", "accuracy", "redact", "filter", "reach"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.environ.get("BENCH", "/tmp/cfscrub-bench"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", help="another cfscrub binary to time beside this build")
    ap.add_argument("sections", nargs="*", default=sorted(SECTIONS))
    args = ap.parse_args()
    global OTHER
    OTHER = args.baseline and os.path.abspath(args.baseline)
    for tool in ("rg", "sed"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed as a baseline (apt-get install ripgrep)")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    os.makedirs(args.bench, exist_ok=True)
    c200 = corpus(args.bench, "c200", ["--size-mb", "200", "--files", "400", "--density", "20", "--seed", "1"])
    huge = corpus(args.bench, "huge", ["--single-file", "--size-mb", "1024", "--long-line-mb", "50", "--seed", "2"])
    if "scan" in args.sections:
        bench_scan(c200, huge, args.runs)
    if "accuracy" in args.sections:
        bench_accuracy(c200, huge)
    if "filter" in args.sections:
        bench_filter(c200, huge, args.runs)
    if "redact" in args.sections:
        bench_redact(c200, huge, args.bench, args.runs)
    if "reach" in args.sections:
        from reach import bench_reach  # compressed corpora (bench/reach.py)

        bench_reach(c200, huge, args.bench, args.runs)


if __name__ == "__main__":
    main()
