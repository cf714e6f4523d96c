#!/usr/bin/env python3
"""The load progress bar on a terminal: each percentage drawn once, 100% once,
and one line end after it.  usage: progress_pty.py LOOM_EXE MODEL"""
import os, pty, re, sys

exe, model = sys.argv[1:3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(exe, [exe, "run", "-m", model, "-p", "Hi", "-n", "1", "--temp", "0", "--backend", "cpu"])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
text = out.decode(errors="replace")
bars = re.findall(r"loading \[[# ]{40}\] +(\d+)%", text)
problems = []
if bars.count("100") != 1:
    problems.append("100%% drawn %d times" % bars.count("100"))
if len(bars) != len(set(bars)):
    problems.append("a percentage drawn twice")
if not re.search(r"\] 100%\r\nHi", text):
    problems.append("no single line end after 100%")
if problems:
    sys.exit("; ".join(problems) + "\n" + repr(text[-300:]))
