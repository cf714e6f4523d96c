#!/usr/bin/env python3
"""`loom chat` in a pseudo-terminal: Ctrl-C while a long message is being read
in takes that message back, and the chat goes on as if it was never sent.

usage: chat_pty.py LOOM_EXE MODEL OUT.json
Runs: "hello", a multi-line message dropped with Ctrl-C at its "... " prompt,
a ~12,000-token message cancelled with Ctrl-C, "hello again",
then /save OUT.json and /exit. Exit 0 when every expected line was seen.
-b 1 makes reading the long message in take many seconds (one decode per
token), (13 s on a loaded 2-core machine), so the Ctrl-C sent a second after it lands mid-way."""
import fcntl, os, select, struct, sys, termios, time

exe, model, out = sys.argv[1:4]
# pty.fork() would close the terminal's slave side here; keeping it open lets
# the script see how much of its input loom has not read yet (FIONREAD).
fd, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.close(fd)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for i in range(3):
        os.dup2(slave, i)
    os.close(slave)
    os.execv(exe, [exe, "chat", "-m", model, "--temp", "0", "-n", "6", "-c", "16384", "-b", "1", "-t", "1",
                   "--backend", "cpu"])


def unread():
    """Bytes written to loom's terminal that loom has not read yet."""
    return struct.unpack("i", fcntl.ioctl(slave, termios.FIONREAD, b"\0\0\0\0"))[0]

seen = b""


def read_until(marker, timeout=60, must=True):   # under meson's 120 s, so a failure shows what was seen
    """Reads loom's output up to and past `marker`; False when it did not come in time (unless `must`)."""
    global seen
    end = time.time() + timeout
    while marker not in seen:
        left = end - time.time()
        if left <= 0:
            if not must:
                return False
            sys.exit("timed out waiting for %r; got:\n%s" % (marker, seen.decode(errors="replace")))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                sys.exit("loom exited early; got:\n%s" % seen.decode(errors="replace"))
            seen += chunk
    rest = seen[seen.index(marker) + len(marker):]
    seen = rest
    return True


def drain():
    """Reads what loom wrote so far, so that its writes (echo, prompts) never block."""
    global seen
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        seen += chunk


def say(text):
    data = text.encode() + b"\n"
    while data:
        _, w, _ = select.select([fd], [fd], [], 1)
        drain()
        if w:
            n = os.write(fd, data)
            data = data[n:]


read_until(b"\n> ")
say("hello")
read_until(b"\n> ")
# Ctrl-C in the middle of a multi-line message drops its lines and prompts afresh.
say("a message that is never sent \\")
read_until(b"... ")
time.sleep(0.5)   # loom is waiting for the next line
os.write(fd, b"\x03")
if not read_until(b"[message discarded]", timeout=5, must=False):
    say("")   # the interrupt came before loom's read began: the next line shows it
    read_until(b"[message discarded]")
read_until(b"\n> ")
# Continuation lines keep each terminal line short (a tty line holds 4095 bytes).
for i in range(600):
    say("apple banana cherry apple banana cherry apple banana cherry " + ("\\" if i < 599 else ""))
read_until(b"apple banana cherry \r\n")   # the last line's echo: the message is being read in
# A Ctrl-C before loom has read every line would flush the unread ones (the
# terminal discards its input on an interrupt) and leave loom waiting for the
# rest of a message that never comes: wait until it has read them all.
end = time.time() + 60
while unread() > 0:
    if time.time() > end:
        sys.exit("loom did not read its input; %d bytes left" % unread())
    drain()
    time.sleep(0.01)
time.sleep(1.0)
os.write(fd, b"\x03")
read_until(b"[cancelled: the message was taken back]")
read_until(b"\n> ")
say("hello again")
read_until(b"\n> ")
say("/save " + out)
read_until(b"[saved 4 messages to " + out.encode() + b"]")
say("/exit")
_, status = os.waitpid(pid, 0)
sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "loom chat exited with %d" % status)
