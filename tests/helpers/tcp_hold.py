# SPDX-License-Identifier: ISC
"""Hold many TCP connections from one source; time clients from another.

Usage:
  tcp_hold.py hold PORT N [--src ADDR] [--send BYTES] [--settle S]
      open N connections to 127.0.0.1:PORT from ADDR (default 127.0.0.2),
      all at once, send BYTES on each (default 0: silent), then never read
      and never close. Prints "connected=C failed=F" once every handshake
      is done (or after 10 s), then waits for SIGTERM; then looks at each
      connection without waiting (with --settle, once every connection
      has ended, or after S seconds) and prints
      "line=L empty=E reset=R open=O other=X": a whole CRLF line then EOF,
      EOF without a byte, a reset, still open, anything else.
  tcp_hold.py time PORT COUNT [--src ADDR] [--timeout S] [--within MS]
      COUNT clients one after another from ADDR (default 127.0.0.1), each
      connects, reads to EOF and closes; one line each: "KIND MS", KIND
      one of line, empty, reset, partial, hang (no end within S seconds,
      default 10). With --within, stops after the first client that is
      not a line within MS ms.
  tcp_hold.py trickle PORT SECONDS [--src ADDR]
      one client from ADDR (default 127.0.0.1) that writes first: 10
      bytes every 0.1 s for SECONDS, then reads to EOF; prints its KIND
      as time does ("reset" too when a write was refused) and the ms.
Exit 0 always: the test judges what is printed."""
import argparse, errno, resource, selectors, signal, socket, sys, time


def is_line(b):
    return b.endswith(b"\r\n") and b.count(b"\n") == 1


def hold(a):
    want = a.n + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    socks, failed = [], 0
    sel = selectors.DefaultSelector()
    for _ in range(a.n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((a.src, 0))
        s.setblocking(False)
        e = s.connect_ex(("127.0.0.1", a.port))
        if e not in (0, errno.EINPROGRESS):
            failed += 1
            s.close()
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE)
    pending, end = len(socks), time.monotonic() + 10
    while pending and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            sel.unregister(s)
            pending -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                failed += 1
            elif a.send:
                s.send(b"x" * a.send)
    print(f"connected={len(socks) - failed - pending} failed={failed}",
          flush=True)

    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    while not done:
        signal.pause()
    # --settle: first let every connection come to its end (EOF or a
    # reset), for at most that long: a server slow to start (a sanitizer
    # build, a busy host) may not have answered the burst yet.
    end = time.monotonic() + a.settle
    left = set(socks) if a.settle > 0 else set()
    data = {s: b"" for s in socks}
    kinds = {}
    sel = selectors.DefaultSelector()
    for s in left:
        sel.register(s, selectors.EVENT_READ)
    while left and time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0, end - time.monotonic())):
            s = key.fileobj
            try:
                b = s.recv(4096)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                kinds[s], b = "reset", b""
            except OSError:
                kinds[s], b = "other", b""
            if b:
                data[s] += b
                continue
            sel.unregister(s)
            left.discard(s)
    counts = dict(line=0, empty=0, reset=0, open=0, other=0)
    for s in socks:
        kind = kinds.get(s)
        while kind is None:
            try:
                b = s.recv(4096)
            except BlockingIOError:
                kind = "open"
            except ConnectionResetError:
                kind = "reset"
            except OSError:
                kind = "other"
            else:
                if b:
                    data[s] += b
                else:
                    kind = "line" if is_line(data[s]) else \
                        "empty" if not data[s] else "other"
        counts[kind] += 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()), flush=True)


def one(a, talk=None, timeout=None):
    """One client: connect, talk(s, t0) if given, read to EOF; the
    KIND and the milliseconds it took."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((a.src, 0))
    s.settimeout(timeout or a.timeout)
    data, t0 = b"", time.monotonic()
    try:
        s.connect(("127.0.0.1", a.port))
        if talk:
            talk(s, t0)
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        kind = "line" if is_line(data) else "empty" if not data else "partial"
    except socket.timeout:
        kind = "hang"
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        kind = "reset"
    finally:
        s.close()
    return kind, (time.monotonic() - t0) * 1000


def trickle(a):
    def talk(s, t0):
        while time.monotonic() - t0 < a.seconds:
            s.sendall(b"x" * 10)
            time.sleep(0.1)
    kind, ms = one(a, talk, 10)
    print(f"{kind} {ms:.1f}", flush=True)


def timed(a):
    for _ in range(a.count):
        kind, ms = one(a)
        print(f"{kind} {ms:.1f}", flush=True)
        if a.within is not None and (kind != "line" or ms > a.within):
            break


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("port", type=int)
    h.add_argument("n", type=int)
    h.add_argument("--src", default="127.0.0.2")
    h.add_argument("--send", type=int, default=0)
    h.add_argument("--settle", type=float, default=0)
    t = sub.add_parser("time")
    t.add_argument("port", type=int)
    t.add_argument("count", type=int)
    t.add_argument("--src", default="127.0.0.1")
    t.add_argument("--timeout", type=float, default=10.0)
    t.add_argument("--within", type=float)
    w = sub.add_parser("trickle")
    w.add_argument("port", type=int)
    w.add_argument("seconds", type=float)
    w.add_argument("--src", default="127.0.0.1")
    a = ap.parse_args()
    {"hold": hold, "time": timed, "trickle": trickle}[a.cmd](a)


main()
