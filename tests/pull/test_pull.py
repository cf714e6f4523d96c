#!/usr/bin/env python3
"""`loom pull` and `-hf` against a loopback stand-in for the Hugging Face Hub
(fake_hub.py): the file picked by quant, equal to the source; the cache used
without a request; a cut download resumed with Range; a corrupted one
rejected; the error messages; `loom run -hf` equal to `loom run -m`.
Needs LOOM_EXE and ../shared/ref/mkgguf.py (the tiny model); exit 77 without
them outside CI."""
import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_hub import Hub, Repo  # noqa: E402

LOOM = os.environ.get("LOOM_EXE", "")
SOURCE = os.environ.get("LOOM_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("LOOM_BUILD_ROOT", "build")
REF = os.environ.get("LOOM_REF_DIR", os.path.join(SOURCE, "..", "shared", "ref"))
failures = []


def missing(what):
    print("missing: %s" % what, file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def tiny_model():
    """The tiny synthetic model, made once per build like tests/support/testdata.cpp's."""
    d = os.path.join(BUILD, "testdata")
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, "tiny-s1-f16.gguf")
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(out):
            mk = os.path.join(REF, "mkgguf.py")
            if not os.path.exists(mk):
                missing(mk)
            subprocess.run(["/usr/bin/python3", mk, out + ".tmp", "--preset", "tiny", "--seed", "1"], check=True,
                           stdout=subprocess.DEVNULL)
            os.rename(out + ".tmp", out)
    with open(out, "rb") as f:
        return out, f.read()


def check(cond, what, detail=""):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)
        if detail:
            print("     " + detail.replace("\n", "\n     "))


def loom(args, cache, hub_url, token=None, timeout=120):
    env = dict(os.environ, LOOM_CACHE=cache, HF_ENDPOINT=hub_url)
    env.pop("HF_TOKEN", None)
    if token:
        env["HF_TOKEN"] = token
    return subprocess.run([LOOM] + args, env=env, capture_output=True, timeout=timeout)


def cached(cache, repo, name):
    return os.path.join(cache, "hf", repo, "main", name)


def pseudo_bytes(n, seed):
    blocks, block = [], hashlib.sha256(seed.encode()).digest()
    for _ in range((n + 31) // 32):
        blocks.append(block)
        block = hashlib.sha256(block).digest()
    return b"".join(blocks)[:n]


def main():
    if not LOOM or not os.path.exists(LOOM):
        missing("LOOM_EXE (the loom binary)")
    src_path, model = tiny_model()
    other = pseudo_bytes(3000, "q8")
    big = pseudo_bytes(4 << 20, "big")   # for the cut and corrupt downloads (the model is 82 MiB)
    repos = {
        "test/tiny-GGUF": Repo({"README.md": b"# tiny\n", "tiny-Q8_0.gguf": other,
                                "tiny-q5_k_m.gguf": model, "tiny-Q4_K_M.gguf": pseudo_bytes(2000, "q4"),
                                "mmproj-tiny-f16.gguf": b"x"}),
        "test/cut-GGUF": Repo({"tiny-q5_k_m.gguf": big}, fault="cut"),
        "test/corrupt-GGUF": Repo({"tiny-q5_k_m.gguf": big}, fault="corrupt"),
        "test/private-GGUF": Repo({"tiny-Q8_0.gguf": other}, token="hf_good"),
        "test/split-GGUF": Repo({"big-Q4_0-00002-of-00002.gguf": pseudo_bytes(5000, "p2"),
                                 "big-Q4_0-00001-of-00002.gguf": pseudo_bytes(7000, "p1")}),
        # SHA-256's padding edge cases (one or two final blocks), against hashlib
        "test/sizes-GGUF": Repo({"s-Q%d.gguf" % n: pseudo_bytes(n, "s%d" % n) for n in (0, 55, 56, 63, 64, 65, 119, 120)}),
    }
    with Hub(repos) as hub, tempfile.TemporaryDirectory() as tmp:
        cache = os.path.join(tmp, "cache")
        url = hub.url
        want = cached(cache, "test/tiny-GGUF", "tiny-q5_k_m.gguf")

        # 1. By quant name, case-insensitively; the file is the source's bytes.
        r = loom(["pull", "test/tiny-GGUF:Q5_k_M"], cache, url)
        reqs = hub.take_requests()
        check(r.returncode == 0 and r.stdout.decode().strip() == want, "pull by quant prints the cached path",
              r.stderr.decode())
        check(os.path.exists(want) and open(want, "rb").read() == model, "the pulled file equals the source")
        got = subprocess.run(["sha256sum", want], capture_output=True).stdout.decode().split()[:1]
        check(got == [hashlib.sha256(model).hexdigest()], "sha256sum agrees with the listing's sha256")
        paths = [p for _, p, _, _ in reqs]
        check(any(p.startswith("/api/models/test/tiny-GGUF/revision/main") for p in paths) and
              "/test/tiny-GGUF/resolve/main/tiny-q5_k_m.gguf" in paths and any(p.startswith("/cdn/") for p in paths),
              "listing, resolve and the redirect's CDN path were asked", repr(paths))
        check(not os.path.exists(want + ".part"), "no .part file is left")

        # 2. Again: from the cache, no request at all.
        r = loom(["pull", "test/tiny-GGUF:q5_k_m"], cache, url)
        check(r.returncode == 0 and r.stdout.decode().strip() == want and hub.take_requests() == [],
              "a second pull uses the cache without a request", r.stderr.decode())

        # 3. Without a quant: Q4_K_M first (llama.cpp's default).
        r = loom(["pull", "test/tiny-GGUF"], cache, url)
        check(r.returncode == 0 and r.stdout.decode().strip().endswith("/tiny-Q4_K_M.gguf"),
              "no quant given picks Q4_K_M", r.stdout.decode() + r.stderr.decode())

        # 4. A .part left by an earlier run is resumed with Range.
        q8 = cached(cache, "test/tiny-GGUF", "tiny-Q8_0.gguf")
        with open(q8 + ".part", "wb") as f:
            f.write(other[:1000])
        hub.take_requests()
        r = loom(["pull", "test/tiny-GGUF:q8_0"], cache, url)
        ranges = [rg for _, p, rg, _ in hub.take_requests() if p.startswith("/cdn/")]
        check(r.returncode == 0 and open(q8, "rb").read() == other and ranges == ["bytes=1000-"],
              "an earlier .part is resumed with Range: bytes=1000-", repr(ranges) + "\n" + r.stderr.decode())

        # 5. The connection cut mid-body: resumed with Range in the same run, complete and equal.
        r = loom(["pull", "test/cut-GGUF:q5_k_m"], cache, url)
        ranges = [rg for _, p, rg, _ in hub.take_requests() if p.startswith("/cdn/")]
        out = cached(cache, "test/cut-GGUF", "tiny-q5_k_m.gguf")
        check(r.returncode == 0 and os.path.exists(out) and open(out, "rb").read() == big,
              "a download cut mid-body completes", r.stderr.decode())
        check(len(ranges) == 2 and ranges[0] is None and ranges[1] == "bytes=%d-" % (len(big) // 2),
              "the cut download resumed at the byte it stopped (Range)", repr(ranges))
        check(b"resuming" in r.stderr, "the resume is reported on stderr", r.stderr.decode())

        # 6. A corrupted body: rejected by sha256, nothing left under the final name (nor a .part).
        r = loom(["pull", "test/corrupt-GGUF:q5_k_m"], cache, url)
        out = cached(cache, "test/corrupt-GGUF", "tiny-q5_k_m.gguf")
        check(r.returncode == 1 and b"sha256" in r.stderr and not os.path.exists(out) and
              not os.path.exists(out + ".part"), "a corrupted download is rejected and removed", r.stderr.decode())

        # 7. The error messages.
        r = loom(["pull", "test/nope-GGUF:q4_0"], cache, url)
        check(r.returncode == 1 and b"test/nope-GGUF: not found" in r.stderr and b"HTTP 404" in r.stderr,
              "an unknown repository: not found (HTTP 404)", r.stderr.decode())
        r = loom(["pull", "test/tiny-GGUF:q3_k_s"], cache, url)
        check(r.returncode == 1 and b"no GGUF file for quant 'q3_k_s'; the repository has: Q4_K_M, Q5_K_M, Q8_0"
              in r.stderr, "a missing quant lists the quants there are", r.stderr.decode())
        r = loom(["pull", "test/private-GGUF"], cache, url)
        check(r.returncode == 1 and b"HTTP 401" in r.stderr and b"set HF_TOKEN" in r.stderr,
              "401 says to set HF_TOKEN", r.stderr.decode())
        r = loom(["pull", "test/private-GGUF"], cache, url, token="hf_bad")
        check(r.returncode == 1 and b"HF_TOKEN is not accepted" in r.stderr, "a refused HF_TOKEN is named",
              r.stderr.decode())
        hub.take_requests()
        r = loom(["pull", "test/private-GGUF"], cache, url, token="hf_good")
        auths = {a for _, p, _, a in hub.take_requests() if not p.startswith("/cdn/")}
        check(r.returncode == 0 and auths == {"Bearer hf_good"}, "HF_TOKEN is sent as a Bearer token",
              repr(auths) + r.stderr.decode())
        r = loom(["pull", "test/x-GGUF"], cache, "http://127.0.0.1:1")
        check(r.returncode == 1 and b"cannot reach http://127.0.0.1:1" in r.stderr, "an unreachable Hub is named",
              r.stderr.decode())
        r = loom(["pull", "test/tiny-GGUF:q8_0"], "/dev/null/cache", url)
        check(r.returncode == 1 and b"cannot create the cache folder" in r.stderr, "an unwritable cache is named",
              r.stderr.decode())
        full = cached(cache, "test/split-GGUF", "big-Q4_0-00001-of-00002.gguf")
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink("/dev/full", full + ".part")
        r = loom(["pull", "test/split-GGUF:q4_0"], cache, url)
        check(r.returncode == 1 and b"No space left on device" in r.stderr, "a full disk is named",
              r.stderr.decode())
        os.unlink(full + ".part")
        r = loom(["pull", "nonsense"], cache, url)
        check(r.returncode == 1 and b"expected OWNER/NAME[:QUANT]" in r.stderr, "a malformed name is explained",
              r.stderr.decode())

        # 8. A split model brings all its parts; the path printed is part 1.
        r = loom(["pull", "test/split-GGUF:Q4_0"], cache, url)
        p2 = cached(cache, "test/split-GGUF", "big-Q4_0-00002-of-00002.gguf")
        check(r.returncode == 0 and r.stdout.decode().strip() == full and os.path.exists(p2) and
              open(full, "rb").read() == repos["test/split-GGUF"].files["big-Q4_0-00001-of-00002.gguf"],
              "a split model is pulled whole", r.stderr.decode())

        # 9. SHA-256 padding edge cases (each checked against the listing's hashlib digest).
        for n in (0, 55, 56, 63, 64, 65, 119, 120):
            r = loom(["pull", "test/sizes-GGUF:q%d" % n], cache, url)
            check(r.returncode == 0, "sha256 of a %d-byte file" % n, r.stderr.decode())

        # 10. `loom run -hf` (fresh cache: it downloads) gives `loom run -m`'s text.
        gen = ["-p", "Once upon a time", "-n", "4", "--temp", "0", "--no-display-prompt"]
        a = subprocess.run([LOOM, "run", "-m", src_path] + gen, capture_output=True, timeout=120)
        b = loom(["run", "-hf", "test/tiny-GGUF:q5_k_m"] + gen, os.path.join(tmp, "cache2"), url)
        check(a.returncode == 0 and b.returncode == 0 and a.stdout == b.stdout and a.stdout,
              "loom run -hf REPO:QUANT equals loom run -m FILE", repr(a.stdout) + " vs " + repr(b.stdout) +
              "\n" + b.stderr.decode())
        r = loom(["run", "-hf", "test/tiny-GGUF:q5_k_m", "-m", src_path] + gen, cache, url)
        check(r.returncode == 2 and b"not both" in r.stderr, "-m and -hf together is a usage error", r.stderr.decode())

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all pull checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
