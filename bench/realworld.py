#!/usr/bin/env python3
"""cfscrub on real-world material no one here wrote (issue 12).

Usage:
  python3 bench/realworld.py [--cache DIR] [--report FILE] [--no-fetch]
                             [--runs N] [--context] [--misses] [--probes]
                             [CORPUS ...]
  python3 bench/realworld.py --probes-only

CORPUS names or name prefixes pick corpora (`npm:`, `python-stdlib`, ...).

1. Fetches a pinned list of npm packages (`npm pack`), PyPI source
   distributions (`pip download`) and Debian source
   packages (`apt-get source --download-only`, with a private apt
   configuration that adds `deb-src`, so the machine's own sources are not
   touched) into --cache (default $REALWORLD_CACHE or
   ~/.cache/cfscrub-realworld), outside the repository, and unpacks them.
   Fetching is skipped for what is already unpacked; a source that cannot
   be fetched is reported and left out.
2. Runs `cfscrub scan --format json` over each corpus: the cargo registry
   sources, the Python standard library (without site-packages), Python's
   site-packages, /usr/share/doc (and a copy of its *.gz files decompressed
   into the cache, since cfscrub does not look inside them), /usr/include
   and each unpacked package.
3. Prints, per corpus: files, bytes, items not inspected, findings by kind
   and confidence, time, and the time and match count of
   `rg -uu -c 'cfut_|cfat_|cfk_|cfast_'` as a speed baseline, with
   `rg -uuu` beside it (it reads binary files whole, as cfscrub does; `-uu`
   stops at a file's first NUL byte) — medians of --runs runs each.
4. Writes every finding as {corpus, path, line, column, length, kind,
   confidence} to --report (default CACHE/report.json). Never a value, a
   fragment or a fingerprint.

--context prints, for each finding, its line with every finding on it
replaced by `«kind: shape»` (shape = the public prefix, if any, then the
length and character class of the rest: `cfast_+7 lower`) and any other run
of 16+ token characters mixing letters and digits replaced by its shape too.
Long lines are cut to a window around the finding.

--misses hunts for Cloudflare-looking credentials cfscrub did not report, in
the Cloudflare-related corpora (npm, PyPI and Debian packages; name others as
CORPUS arguments): every value-like run (32+ token characters, letters and
digits, or base64 of a prefix, or `v1.0-` + hex) within two lines after a
credential keyword (`api_token`, `apiToken`, `X-Auth-Key`, `Bearer`,
`CLOUDFLARE_`, `CF_API`, ...) or anywhere for the prefixed shapes, that no
finding overlaps. Printed masked as above, for classification by hand.

--probes (or --probes-only) writes one small file per case of issue 12's
miss and false-positive classes, with fake values generated at run time,
scans them and prints which cases behave as the issue wants: the baseline
the detector work starts from.

Nothing printed or written contains a matched value.
"""
import argparse
import base64
import collections
import glob
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import time
import urllib.parse
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFSCRUB = os.environ.get("CFSCRUB", os.path.join(REPO, "target", "release", "cfscrub"))
RG_PATTERN = "cfut_|cfat_|cfk_|cfast_"

# Pinned: the numbers in REALWORLD.md are for these versions.
NPM_PACKAGES = [
    "wrangler@4.164.0",
    "miniflare@4.20260730.0",
    "cloudflare@7.3.0",  # the official TypeScript SDK
    "@cloudflare/workers-types@5.20261117.1",
    "create-cloudflare@2.74.0",
    "@cloudflare/vitest-pool-workers@0.23.0",
    "@pulumi/cloudflare@6.22.1",
    "@cdktf/provider-cloudflare@13.9.1",
]
# python-cloudflare, python-certbot-dns-cloudflare, cloudflare-ddns, lexicon
# and golang-github-cloudflare-cfssl are in bookworm's Sources index but their
# tarballs answer 404 on this workplace's mirror: left out.
DEBIAN_PACKAGES = [
    "ddclient=3.10.0-2",  # dynamic DNS client with a Cloudflare protocol
    "golang-github-xenolf-lego=4.9.1-1",  # ACME client, Cloudflare DNS provider
    "golang-github-cloudflare-circl=1.3.1-2",  # Cloudflare's crypto library: hex test vectors
]
# Source distributions (`pip download --no-binary :all:`, slow: pip prepares
# each one's metadata in an isolated build environment; cached afterwards).
PYPI_PACKAGES = [
    "cloudflare==5.9.0",  # the official Python SDK
    "certbot-dns-cloudflare==5.8.0",
    "dns-lexicon==3.25.2",
    "octodns-cloudflare==1.2.0",
]
DEBIAN_SOURCES = """Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

KINDS_SHORT = {
    "cloudflare-user-token": "cfut",
    "cloudflare-account-token": "cfat",
    "cloudflare-global-key": "cfk",
    "cloudflare-access-service-secret": "cfast",
    "cloudflare-partial": "partial",
    "cloudflare-oauth-access-token": "cfoat",
    "cloudflare-oauth-refresh-token": "cfort",
    "cloudflare-origin-ca-key": "originca",
    "cloudflare-tunnel-token": "tunnel",
    "cloudflare-tunnel-cert": "tunnelpem",
    "cloudflare-legacy-api-token": "legacy-tok",
    "cloudflare-legacy-global-key": "legacy-key",
    "cloudflare-access-client-secret": "access-sec",
    "cloudflare-r2-secret-key": "r2",
    "cloudflare-turnstile-secret": "turnstile",
}

# ---------------------------------------------------------------- masking

PUBLIC_PREFIXES = [b"cfoat_", b"cfort_", b"cfast_", b"cfut_", b"cfat_", b"cfk_", b"v1.0-",
                   b"0x4AAAAAA", b"eyJhIjoi", b"Bearer ", b"bearer "]


def char_class(body):
    """A name for the character class of `body` (bytes); never the bytes."""
    if not body:
        return "empty"
    s = set(body)

    def only(chars):
        return s <= set(chars)

    hexl = b"0123456789abcdef"
    if only(b"0123456789"):
        return "digits"
    if only(hexl):
        return "hex"
    if only(hexl + b"ABCDEF"):
        return "HEX/hex"
    if only(b"abcdefghijklmnopqrstuvwxyz_"):
        return "lower"
    if only(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_"):
        return "UPPER"
    alnum = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    if only(alnum):
        return "alnum"
    if only(alnum + b"_-"):
        return "token"
    if only(alnum + b"_-."):
        return "token."
    if only(alnum + b"+/="):
        return "base64"
    return "mixed"


def shape(value):
    """`prefix+N class`, or `N class`: describes a value without revealing it."""
    for p in PUBLIC_PREFIXES:
        if value.startswith(p):
            rest = value[len(p):]
            return f"{p.decode()}+{len(rest)} {char_class(rest)}"
    return f"{len(value)} {char_class(value)}"


TOKEN_RUN = re.compile(rb"[A-Za-z0-9_\-+/=.]{16,}")


def mask_runs(text):
    """Replaces every run of 16+ token characters holding both a letter and a
    digit by its shape (identifiers without digits stay readable)."""
    def repl(m):
        run = m.group(0)
        if re.search(rb"[0-9]", run) and re.search(rb"[A-Za-z]", run):
            return b"<" + shape(run).encode() + b">"
        return run
    return TOKEN_RUN.sub(repl, text)


def masked_excerpt(data, line_start, line_end, spans, focus, width=160):
    """Line data[line_start:line_end] with each (start, end, label) span
    replaced by its label and other long runs masked, cut to about `width`
    bytes either side of `focus`. Returns str."""
    lo = max(line_start, focus - width)
    hi = min(line_end, focus + width)
    spans = sorted(s for s in spans if s[1] > lo and s[0] < hi)
    # Widen the window to whole spans so no part of a value is left bare.
    for s, e, _ in spans:
        lo, hi = min(lo, s), max(hi, e)
    out, pos = [], lo
    for s, e, label in spans:
        if s < pos:
            continue
        out.append(mask_runs(data[pos:s]))
        out.append(label)
        pos = e
    out.append(mask_runs(data[pos:hi]))
    text = b"".join(out).decode("utf-8", "replace")
    text = "".join(c if c.isprintable() or c == "\t" else "?" for c in text)
    return ("…" if lo > line_start else "") + text + ("…" if hi < line_end else "")


def line_bounds(data, offset):
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    return start, (len(data) if end < 0 else end)


# ---------------------------------------------------------------- fetching

def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def safe_extract(archive, dest, strip_top=False):
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        if strip_top:
            for m in members:
                parts = m.name.split("/", 1)
                m.name = parts[1] if len(parts) > 1 else ""
            members = [m for m in members if m.name]
        tf.extractall(dest, members=members, filter="data")


def fetch_npm(cache):
    """Unpacked packages under CACHE/npm/src/<name@version>; returns [(corpus, dir)]."""
    out = []
    tgz_dir = os.path.join(cache, "npm", "tgz")
    os.makedirs(tgz_dir, exist_ok=True)
    for spec in NPM_PACKAGES:
        name = spec.replace("/", "+")
        dest = os.path.join(cache, "npm", "src", name)
        if not os.path.isdir(dest):
            if not shutil.which("npm"):
                print(f"  skip npm:{spec}: npm not installed", file=sys.stderr)
                continue
            r = run(["npm", "pack", spec, "--silent", "--pack-destination", tgz_dir])
            tgz = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
            if not tgz:
                print(f"  skip npm:{spec}: npm pack failed: {r.stderr.strip()[:200]}", file=sys.stderr)
                continue
            tmp = dest + ".part"
            shutil.rmtree(tmp, ignore_errors=True)
            safe_extract(os.path.join(tgz_dir, tgz), tmp, strip_top=True)
            os.rename(tmp, dest)
        out.append(("npm:" + spec, dest))
    return out


def fetch_debian(cache):
    """Unpacked source packages under CACHE/debian/src/<pkg>; returns [(corpus, dir)]."""
    out = []
    apt = os.path.join(cache, "apt")
    for d in ("etc", "lists/partial", "cache/archives/partial"):
        os.makedirs(os.path.join(apt, d), exist_ok=True)
    with open(os.path.join(apt, "etc", "deb-src.sources"), "w") as f:
        f.write(DEBIAN_SOURCES)
    opts = ["-o", "Dir::Etc::SourceList=/dev/null", "-o", f"Dir::Etc::SourceParts={apt}/etc",
            "-o", f"Dir::State::Lists={apt}/lists", "-o", f"Dir::Cache={apt}/cache"]
    updated = False
    for spec in DEBIAN_PACKAGES:
        pkg = spec.split("=")[0]
        dest = os.path.join(cache, "debian", "src", pkg)
        if not os.path.isdir(dest):
            if not shutil.which("apt-get"):
                print(f"  skip debian:{spec}: apt-get not available", file=sys.stderr)
                continue
            if not updated:
                r = run(["apt-get"] + opts + ["update"])
                if r.returncode != 0:
                    print(f"  skip Debian sources: apt-get update failed: {r.stderr.strip()[:200]}",
                          file=sys.stderr)
                    return out
                updated = True
            dl = os.path.join(cache, "debian", "dl", pkg)
            os.makedirs(dl, exist_ok=True)
            r = run(["apt-get"] + opts + ["source", "--download-only", spec], cwd=dl)
            dscs = glob.glob(os.path.join(dl, "*.dsc"))
            if r.returncode != 0 or not dscs:
                print(f"  skip debian:{spec}: apt-get source failed: {r.stderr.strip()[:200]}",
                      file=sys.stderr)
                continue
            tmp = dest + ".part"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            tars = sorted(glob.glob(os.path.join(dl, "*.tar.*")))
            tars = [t for t in tars if not t.endswith(".asc")]
            # The upstream tarball(s) first, then debian/ over them.
            for t in sorted(tars, key=lambda t: ".debian.tar." in t):
                if ".debian.tar." in t:
                    safe_extract(t, tmp)
                elif ".orig-" in t:  # component tarball: its own directory
                    comp = t.split(".orig-")[1].split(".tar.")[0]
                    safe_extract(t, os.path.join(tmp, comp), strip_top=True)
                else:
                    safe_extract(t, tmp, strip_top=True)
            os.rename(tmp, dest)
        out.append(("debian:" + spec.split("=")[0], dest))
    return out


def norm(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def fetch_pypi(cache):
    """Unpacked sdists under CACHE/pypi/src/<name==version>; returns [(corpus, dir)]."""
    out = []
    dl = os.path.join(cache, "pypi", "dl")
    os.makedirs(dl, exist_ok=True)
    for spec in PYPI_PACKAGES:
        dest = os.path.join(cache, "pypi", "src", spec)
        if not os.path.isdir(dest):
            key = norm(spec.replace("==", "-")) + "_tar_gz"
            found = [f for f in os.listdir(dl) if norm(f) == key]
            if not found:
                r = run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                         "--no-binary", ":all:", spec, "-d", dl])
                found = [f for f in os.listdir(dl) if norm(f) == key]
                if r.returncode != 0 or not found:
                    print(f"  skip pypi:{spec}: pip download failed: {r.stderr.strip()[-200:]}", file=sys.stderr)
                    continue
            tmp = dest + ".part"
            shutil.rmtree(tmp, ignore_errors=True)
            safe_extract(os.path.join(dl, found[0]), tmp, strip_top=True)
            os.rename(tmp, dest)
        out.append(("pypi:" + spec, dest))
    return out


def gunzip_tree(src, dest):
    """Decompresses every *.gz under src into dest (same relative paths, minus
    `.gz`): cfscrub does not look inside compressed files, so /usr/share/doc's
    changelogs are otherwise not inspected at all. Returns dest, or None."""
    if os.path.isdir(dest):
        return dest
    tmp = dest + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    for root, dirs, files in os.walk(src):
        for name in files:
            path = os.path.join(root, name)
            if not name.endswith(".gz") or os.path.islink(path):
                continue
            out = os.path.join(tmp, os.path.relpath(path, src))[:-3]
            os.makedirs(os.path.dirname(out), exist_ok=True)
            try:
                with gzip.open(path, "rb") as fi, open(out, "wb") as fo:
                    shutil.copyfileobj(fi, fo)
            except (OSError, EOFError):
                continue
    if not os.path.isdir(tmp):
        return None
    os.rename(tmp, dest)
    return dest


def system_corpora():
    paths = sysconfig.get_paths()
    stdlib = paths["stdlib"]
    site = sorted({paths["purelib"], paths["platlib"]})
    corpora = [("cargo-registry", [os.path.expanduser("~/.cargo/registry/src")], []),
               ("python-stdlib", [stdlib], ["site-packages", "dist-packages"])]
    corpora.append(("python-site-packages", site, []))
    corpora += [("usr-share-doc", ["/usr/share/doc"], []), ("usr-include", ["/usr/include"], [])]
    return [(n, [p for p in ps if os.path.isdir(p)], ex) for n, ps, ex in corpora]


# ---------------------------------------------------------------- scanning

def timed(cmd):
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return time.perf_counter() - start, r


def scan(paths, excludes, runs):
    cmd = [CFSCRUB, "scan", "--format", "json", "-q"]
    for e in excludes:
        cmd += ["--exclude", e]
    cmd += paths
    times, last = [], None
    for _ in range(runs):
        t, last = timed(cmd)
        times.append(t)
    if last.returncode not in (0, 1):
        err = last.stderr.decode("utf-8", "replace").strip().splitlines()
        print(f"  cfscrub exited {last.returncode}: {err[-1][:200] if err else ''}", file=sys.stderr)
    findings, summary, uninspected = [], {}, 0
    for line in last.stdout.splitlines():
        obj = json.loads(line)
        if obj["type"] == "finding":
            findings.append(obj)
        elif obj["type"] == "summary":
            summary = obj
        elif obj["type"] == "uninspected":
            uninspected += 1
    return statistics.median(times), findings, summary, uninspected


def rg_baseline(paths, excludes, runs, binary=False):
    """`rg -uu` stops reading a file at its first NUL byte; `rg -uuu` (binary)
    reads every byte, as cfscrub does."""
    cmd = ["rg", "-uuu" if binary else "-uu", "-c", "--no-messages"]
    for e in excludes:
        cmd += ["-g", "!" + e]
    cmd += ["-e", RG_PATTERN] + paths
    times, last = [], None
    for _ in range(runs):
        t, last = timed(cmd)
        times.append(t)
    lines = 0
    for line in last.stdout.splitlines():
        try:
            lines += int(line.rsplit(b":", 1)[1])
        except (IndexError, ValueError):
            pass
    return statistics.median(times), lines


# ---------------------------------------------------------------- misses

KEYWORD = re.compile(
    rb"(?i)api[_-]?token|api[_-]?key|auth[_-]?key|x-auth-key|x-auth-email|bearer |authorization|"
    rb"cloudflare_|cf_api|cf_token|cf-access-client-secret|r2_secret|service[_-]?key|"
    rb"withapitoken|withapikey|newwithapitoken|cloudflareapi|origin[_-]?ca")
VALUE = re.compile(rb"[A-Za-z0-9_\-]{32,}")
ANYWHERE = re.compile(
    rb"v1\.0-[0-9a-f]{16,}(?:-[0-9a-f]+)*|"          # Origin CA key, any length
    rb"Y2Z1dF8|Y2ZhdF8|Y2ZrX|Y2Zhc3Rf|"             # base64 of cfut_ cfat_ cfk_ cfast_
    rb"(?i:cf(?:ut|at|k|ast|oat|ort)(?:\\u005f|%5f|\\x5f))")  # escaped prefixes


UUID = re.compile(rb"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def value_like(run):
    """Random-looking: letters and digits interleaved (an identifier such as
    `cloudflare_zero_trust_access_application_v2` is not)."""
    digits = sum(c in b"0123456789" for c in run)
    letters = sum(c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in run)
    flips = sum((a in b"0123456789") != (b in b"0123456789") for a, b in zip(run, run[1:]))
    if len(run) > 100 or re.fullmatch(rb"[0-9a-f]{32}|[0-9A-F]{32}", run) or UUID.search(run):
        return False  # blobs (source maps, base64 images), account/zone ids, UUIDs
    return digits >= 4 and letters >= 4 and flips >= 6 and len(set(run)) > 8


def hunt_misses(corpora, findings_by_path, max_file=64 << 20):
    """Yields (corpus, path, line, excerpt, reason) for value-like runs that no finding covers."""
    for corpus, paths in corpora:
        for root_path in paths:
            r = subprocess.run(["rg", "-uu", "-l", "--no-messages", "-e", KEYWORD.pattern.decode(),
                                "-e", ANYWHERE.pattern.decode(), root_path],
                               stdout=subprocess.PIPE)
            for fpath in sorted(set(r.stdout.decode("utf-8", "surrogateescape").splitlines())):
                try:
                    if os.path.getsize(fpath) > max_file:
                        continue
                    with open(fpath, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                spans = findings_by_path.get(fpath, [])
                labels = [(f["offset"], f["offset"] + f["length"],
                           ("«" + f["kind"] + "»").encode()) for f in spans]

                def covered(s, e):
                    return any(fs < e and s < fe for fs, fe, _ in labels)

                seen = set()
                cands = []
                for m in ANYWHERE.finditer(data):
                    cands.append((m.start(), m.end(), "prefixed/encoded shape"))
                for k in KEYWORD.finditer(data):
                    # the keyword's line and the next two
                    end = k.end()
                    for _ in range(3):
                        nl = data.find(b"\n", end)
                        end = len(data) if nl < 0 else nl + 1
                    window_end = min(end, k.end() + 400)
                    for v in VALUE.finditer(data, k.end(), window_end):
                        if value_like(v.group(0)):
                            cands.append((v.start(), v.end(), "after " + k.group(0).decode("ascii", "replace")))
                for s, e, reason in sorted(cands):
                    if (s, e) in seen or covered(s, e):
                        continue
                    seen.add((s, e))
                    ls, le = line_bounds(data, s)
                    line = data.count(b"\n", 0, s) + 1
                    # Show the line before too: the keyword may be there.
                    ps, _ = line_bounds(data, max(ls - 1, 0)) if ls > 0 else (ls, ls)
                    label = ("<" + shape(data[s:e]) + ">").encode()
                    prev = ""
                    if ps < ls:
                        prev = masked_excerpt(data, ps, ls - 1, labels, ls - 1, 100) + " ⏎ "
                    text = prev + masked_excerpt(data, ls, le, labels + [(s, e, label)], s, 120)
                    yield corpus, fpath, line, text, reason


# ---------------------------------------------------------------- probes
#
# One small file per case of issue 12's lists, with fake values generated
# here at run time (never committed): `find` cases should give a finding
# over the value, `none` cases no finding at all. The answer today is the
# baseline the detector work starts from.

def _fake_values(rng):
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    hexd = "0123456789abcdef"

    def chars(alpha, n):
        return "".join(rng.choice(alpha) for _ in range(n))

    def legacy():
        while True:
            v = chars(alnum + "_-", 40)
            if re.search("[g-zG-Z_-]", v):
                return v

    def scannable(prefix):
        body = chars(alnum, 40)
        return prefix + body + "%08x" % (zlib.crc32(body.encode()) & 0xFFFFFFFF)

    cfut, tok, key = scannable("cfut_"), legacy(), chars(hexd, 37)
    return {
        "legacy": tok, "hex37": key, "hex64": chars(hexd, 64), "hex40": chars(hexd, 40), "hex45": chars(hexd, 45), "cfut": cfut,
        "origin_short": "v1.0-" + chars(hexd, 24) + "-" + chars(hexd, 120),
        "origin_long": "v1.0-" + chars(hexd, 32) + "-" + chars(hexd, 160),
        "b64legacy": base64.b64encode(tok.encode()).decode(),
        "b64cfut": base64.b64encode(cfut.encode()).decode(),
        "b64hex37": base64.b64encode(key.encode()).decode(),
        # Placeholders as documentation writes them (certbot's is the first).
        "seqhex37": (hexd * 3)[:37], "x40": "x" * 40,
        "ph40": "-".join(["your", "cloudflare", "api", "token", "goes", "here", "0000"]),
        "ucfut": cfut.replace("_", "\\u005f", 1),
        "urlcfut": urllib.parse.quote(cfut, safe="").replace("_", "%5F", 1),
    }


PROBES = [
    # (class, expect, template); {name} is a fake value, «…» is not used.
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", 'cloudflareApiToken: "{legacy}"'),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", 'CloudflareApiToken = "{legacy}"'),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "cloudflare-api-token: {legacy}"),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "cloudflare.api.token={legacy}"),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "<CloudflareApiToken>{legacy}</CloudflareApiToken>"),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "cloudflareApiKey: '{hex37}'"),
    # Names taken from the corpora: wrangler's env, lexicon's env and flag.
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "CLOUDFLARE_ACCESS_CLIENT_SECRET={hex64}"),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "LEXICON_CLOUDFLARE_AUTH_TOKEN={legacy}"),
    ("M1 camel/Pascal/kebab/dotted/XML name", "find", "lexicon cloudflare --auth-token={legacy} list example.com A"),
    ("M2 property setter / env assignment", "find", 'System.setProperty("CLOUDFLARE_TOKEN", "{legacy}");'),
    ("M2 property setter / env assignment", "find", 'os.environ["CF_API_TOKEN"] = "{legacy}"'),
    ("M2 property setter / env assignment", "find", "process.env.CLOUDFLARE_API_TOKEN = '{legacy}';"),
    ("M2 property setter / env assignment", "find", 'os.environ["CLOUDFLARE_API_KEY"] = "{hex37}"'),
    ("M3 Makefile/PHP operators", "find", "CLOUDFLARE_API_TOKEN := {legacy}"),
    ("M3 Makefile/PHP operators", "find", "CLOUDFLARE_API_TOKEN ?= {legacy}"),
    ("M3 Makefile/PHP operators", "find", "'cloudflare_api_token' => '{legacy}',"),
    ("M3 Makefile/PHP operators", "find", "define('CLOUDFLARE_API_TOKEN', '{legacy}');"),
    ("M4 YAML map under cloudflare:", "find", "cloudflare:\n  token: {legacy}\n"),
    ("M4 YAML map under cloudflare:", "find", "cloudflare:\n  email: ops@example.com\n  key: {hex37}\n"),
    ("M4 YAML map under cloudflare:", "find", "cloudflare:\n  api_key: {hex45}\n"),
    ("M5 value shape decides, not the name", "find", "CLOUDFLARE_API_KEY={legacy}"),
    ("M5 value shape decides, not the name", "find", "CLOUDFLARE_API_TOKEN={hex37}"),
    ("M5 value shape decides, not the name", "find", "CF_API_KEY={legacy}"),
    ("M6 keyword after the value / SDK call", "find", 'api, err := cloudflare.NewWithAPIToken("{legacy}")'),
    ("M6 keyword after the value / SDK call", "find", 'client := cloudflare.NewClient(option.WithAPIToken("{legacy}"))'),
    ("M6 keyword after the value / SDK call", "find", "const auth = new APIToken('{legacy}');"),
    ("M6 keyword after the value / SDK call", "find", 'cf = CloudFlare.CloudFlare(token="{legacy}")'),
    ("M6 keyword after the value / SDK call", "find", 'api, err := cloudflare.New("{hex37}", "ops@example.com")'),
    ("M7 context on another line", "find",
     "curl https://api.cloudflare.com/client/v4/zones \\\n  -H \"Authorization: Bearer {legacy}\"\n"),
    ("M7 context on another line", "find", '{\n  "cf-access-client-secret":\n    "{hex64}"\n}\n'),
    ("M7 context on another line", "find", "X-Auth-Email: ops@example.com\nX-Auth-Key:\n  {hex37}\n"),
    # ddclient.conf, as its own documentation lays it out.
    ("M7 context on another line", "find",
     "protocol=cloudflare,        \\\nzone=example.com,           \\\nlogin=token,                \\\n"
     "password={legacy}          \\\nhost.example.com\n"),
    ("M8 Origin CA key of another length", "find", "X-Auth-User-Service-Key: {origin_short}"),
    ("M8 Origin CA key of another length", "find", "origin_ca_key = \"{origin_long}\""),
    ("M9 encoded value", "find",
     "apiVersion: v1\nkind: Secret\ndata:\n  CLOUDFLARE_API_TOKEN: {b64legacy}\n"),
    ("M9 encoded value", "find", "apiVersion: v1\nkind: Secret\ndata:\n  api-token: {b64cfut}\n"),
    ("M9 encoded value", "find", "data:\n  CLOUDFLARE_API_KEY: {b64hex37}\n"),
    ("M9 encoded value", "find", '{"token": "{ucfut}"}'),
    ("M9 encoded value", "find", "GET /hook?token={urlcfut} HTTP/1.1"),
    ("F1 partial prefix on an identifier", "none", "opts = cfut_options(defaults)"),
    ("F1 partial prefix on an identifier", "none", "print(cfast_version)"),
    ("F1 partial prefix on an identifier", "none", "sync_cfast_repo --force"),
    ("F1 partial prefix on an identifier", "none", "cfast_hash = compute(inputs)"),
    ("F1 partial prefix on an identifier", "none", "def cfk_lookup(table):"),
    ("F2 generic name, no Cloudflare anchor", "none", '[gitlab]\napi_token = "{legacy}"\n'),
    ("F2 generic name, no Cloudflare anchor", "none", "MAILGUN_API_TOKEN={legacy}"),
    ("F2 generic name, no Cloudflare anchor", "none", "sendgrid:\n  apiToken: {legacy}\n"),
    ("F2 generic name, no Cloudflare anchor", "none", "--api-token {legacy} --host gitea.example.org"),
    ("F2 generic name, no Cloudflare anchor", "none", '{"api_key": "{hex37}"}'),
    ("F3 placeholder value", "none", "dns_cloudflare_api_key = {seqhex37}"),
    ("F3 placeholder value", "none", "CLOUDFLARE_API_TOKEN={x40}"),
    ("F3 placeholder value", "none", "CLOUDFLARE_API_TOKEN={ph40}"),
    # Controls: found today, must stay found.
    ("C control (found today)", "find", "CLOUDFLARE_API_TOKEN={legacy}"),
    ("C control (found today)", "find", "X-Auth-Key: {hex37}"),
    ("C control (found today)", "find", '"cf-access-client-secret": "{hex64}"'),
    ("C control (found today)", "find", "token={cfut}"),
]


def run_probes(cache, seed=12):
    rng = random.Random(seed)
    values = _fake_values(rng)
    root = os.path.join(cache, "probes")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    cases = []
    for i, (cls, expect, template) in enumerate(PROBES):
        spans, out, pos = [], [], 0
        for m in re.finditer(r"\{([a-z0-9_]+)\}", template):
            out.append(template[pos:m.start()])
            start = sum(len(x.encode()) for x in out)
            v = values[m.group(1)]
            out.append(v)
            spans.append((start, start + len(v.encode())))
            pos = m.end()
        out.append(template[pos:])
        path = os.path.join(root, f"probe{i:02d}.txt")
        with open(path, "w") as f:
            f.write("".join(out) + "\n")
        cases.append((cls, expect, template, path, spans))
    _, findings, _, _ = scan([root], [], 1)
    by_path = collections.defaultdict(list)
    for f in findings:
        by_path[f["path"]].append(f)
    tally = collections.OrderedDict()
    print(f"\nprobes (fake values generated at run time, seed {seed}):")
    for cls, expect, template, path, spans in cases:
        fs = by_path.get(path, [])
        hit = any(f["offset"] < e and s < f["offset"] + f["length"] for f in fs for s, e in spans)
        if expect == "find":
            ok = hit
        else:
            ok = not fs
        got = ", ".join(sorted({f"{f['kind']}/{f['confidence']}" for f in fs})) or "nothing"
        if hit and not all(any(f["offset"] <= s and e <= f["offset"] + f["length"] for f in fs)
                           for s, e in spans):
            got += " (part of the value)"
        t = tally.setdefault(cls, [0, 0])
        t[0] += ok
        t[1] += 1
        shown = template.replace("\n", " ⏎ ")
        print(f"  {'ok  ' if ok else 'FAIL'} {cls:<40} expect {expect:<4} got {got:<40} {shown}")
    print("\nprobe classes (as expected / cases):")
    for cls, (ok, n) in tally.items():
        print(f"  {cls:<42} {ok}/{n}")
    shutil.rmtree(root, ignore_errors=True)
    return tally


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=os.environ.get(
        "REALWORLD_CACHE", os.path.expanduser("~/.cache/cfscrub-realworld")))
    ap.add_argument("--report", help="default: CACHE/report.json")
    ap.add_argument("--no-fetch", action="store_true", help="use only what is already unpacked")
    ap.add_argument("--runs", type=int, default=1, help="timed runs per corpus and tool (median)")
    ap.add_argument("--context", action="store_true", help="print each finding's line, masked")
    ap.add_argument("--misses", action="store_true", help="hunt unreported credential-looking values")
    ap.add_argument("--probes", action="store_true",
                    help="also run the issue's miss and false-positive classes on generated fakes")
    ap.add_argument("--probes-only", action="store_true", help="only the probes")
    ap.add_argument("--seed", type=int, default=12, help="seed of the probes' fake values")
    ap.add_argument("corpora", nargs="*", help="corpus names or name prefixes (default: all)")
    args = ap.parse_args()
    cache = os.path.abspath(args.cache)
    if cache == REPO or cache.startswith(REPO + os.sep):
        sys.exit("--cache must be outside the repository")
    report = args.report or os.path.join(cache, "report.json")
    if os.path.abspath(report).startswith(REPO + os.sep):
        sys.exit("--report must be outside the repository")
    if not os.access(CFSCRUB, os.X_OK):
        sys.exit(f"{CFSCRUB} missing: run `cargo build --release` first (or set CFSCRUB)")
    have_rg = shutil.which("rg") is not None
    if not have_rg:
        print("rg not found (apt-get install ripgrep): no baseline column", file=sys.stderr)
    os.makedirs(cache, exist_ok=True)
    if args.probes_only:
        run_probes(cache, args.seed)
        return

    corpora = system_corpora()
    if args.no_fetch:
        pkgs = [("npm:" + os.path.basename(d).replace("+", "/"), d)
                for d in sorted(glob.glob(os.path.join(cache, "npm", "src", "*"))) if not d.endswith(".part")]
        pkgs += [(kind + ":" + os.path.basename(d), d) for kind in ("pypi", "debian")
                 for d in sorted(glob.glob(os.path.join(cache, kind, "src", "*"))) if not d.endswith(".part")]
    else:
        print("fetching packages into", cache, file=sys.stderr)
        pkgs = fetch_npm(cache) + fetch_pypi(cache) + fetch_debian(cache)
    gz = gunzip_tree("/usr/share/doc", os.path.join(cache, "gunzip", "usr-share-doc"))
    if gz:
        corpora.insert(4, ("usr-share-doc (*.gz unpacked)", [gz], []))
    corpora += [(n, [d], []) for n, d in pkgs]
    if args.corpora:
        corpora = [c for c in corpora if any(c[0] == a or c[0].startswith(a) for a in args.corpora)]

    version = run([CFSCRUB, "--version"]).stdout.strip()
    commit = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).stdout.strip()
    rows, all_findings = [], []
    hdr = (f"{'corpus':<42} {'files':>6} {'MB':>6} {'unins':>5} {'cfscrub s':>9} {'rg -uu s':>8} "
           f"{'rg -uuu s':>9} {'rg lines':>8} findings (kind/confidence)")
    print(f"{version} ({commit}), runs={args.runs}")
    print(hdr)
    print("-" * len(hdr))
    for name, paths, excludes in corpora:
        if not paths:
            print(f"{name:<42} (missing)")
            continue
        t, findings, summary, unins = scan(paths, excludes, args.runs)
        rg_t, rg_lines = rg_baseline(paths, excludes, args.runs) if have_rg else (float("nan"), -1)
        rgb_t, _ = rg_baseline(paths, excludes, args.runs, binary=True) if have_rg else (float("nan"), -1)
        by = collections.Counter(f"{KINDS_SHORT.get(f['kind'], f['kind'])}/{f['confidence']}" for f in findings)
        row = {"corpus": name, "paths": paths, "excludes": excludes, "files": summary.get("files", 0),
               "bytes": summary.get("bytes", 0), "uninspected": unins, "cfscrub_s": round(t, 3),
               "rg_s": round(rg_t, 3), "rg_uuu_s": round(rgb_t, 3), "rg_lines": rg_lines, "findings": len(findings),
               "by_kind_confidence": dict(sorted(by.items()))}
        rows.append(row)
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(by.items())) or "0"
        print(f"{name:<42} {row['files']:>6} {row['bytes'] / 1e6:>6.1f} {unins:>5} {t:>9.2f} {rg_t:>8.2f} "
              f"{rgb_t:>9.2f} {rg_lines:>8} {kinds}", flush=True)
        for f in findings:
            all_findings.append({"corpus": name, "path": f["path"], "line": f["line"], "column": f["column"],
                                 "offset": f["offset"], "length": f["length"], "kind": f["kind"],
                                 "confidence": f["confidence"]})
    tot_files = sum(r["files"] for r in rows)
    tot_bytes = sum(r["bytes"] for r in rows)
    tot_t = sum(r["cfscrub_s"] for r in rows)
    tot_rg = sum(r["rg_s"] for r in rows)
    tot_rgb = sum(r["rg_uuu_s"] for r in rows)
    tot_unins = sum(r["uninspected"] for r in rows)
    tot_by = collections.Counter()
    for r in rows:
        tot_by.update(r["by_kind_confidence"])
    print("-" * len(hdr))
    print(f"{'total':<42} {tot_files:>6} {tot_bytes / 1e6:>6.1f} {tot_unins:>5} {tot_t:>9.2f} {tot_rg:>8.2f} "
          f"{tot_rgb:>9.2f} {sum(r['rg_lines'] for r in rows):>8} "
          + (", ".join(f"{k} {v}" for k, v in sorted(tot_by.items())) or "0"))

    with open(report, "w") as f:
        json.dump({"cfscrub": version, "commit": commit, "runs": args.runs, "corpora": rows,
                   "findings": all_findings}, f, indent=1)
    print(f"report: {report} ({len(all_findings)} findings)", file=sys.stderr)

    by_path = collections.defaultdict(list)
    for f in all_findings:
        by_path[f["path"]].append(f)
    if args.context and all_findings:
        print("\nfindings in context (values masked):")
        for path in sorted(by_path):
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as e:
                print(f"{path}: unreadable ({e.strerror})")
                continue
            labels = [(f["offset"], f["offset"] + f["length"],
                       ("«" + f["kind"] + ": " + shape(data[f["offset"]:f["offset"] + f["length"]]) + "»").encode())
                      for f in by_path[path]]
            for f in sorted(by_path[path], key=lambda f: f["offset"]):
                ls, le = line_bounds(data, f["offset"])
                print(f"[{f['corpus']}] {path}:{f['line']}: {f['confidence']}: "
                      f"{masked_excerpt(data, ls, le, labels, f['offset'])}")
    if args.misses:
        targets = [(n, p) for n, p, _ in corpora
                   if args.corpora or n.split(":")[0] in ("npm", "pypi", "debian")]
        print("\nunreported credential-looking values (masked):")
        count = collections.Counter()
        for corpus, path, line, text, reason in hunt_misses(targets, by_path):
            count[corpus] += 1
            print(f"[{corpus}] {path}:{line}: ({reason}) {text}")
        print("candidates per corpus:", dict(count))
    if args.probes:
        run_probes(cache, args.seed)


if __name__ == "__main__":
    main()
