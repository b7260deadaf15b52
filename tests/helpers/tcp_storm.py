# SPDX-License-Identifier: ISC
"""Open many TCP connections to a Daytime server and judge every answer.

Usage: tcp_storm.py PORT [--count N] [--clients C] [--timeout S]
                         [--format ctime|any] [--source ADDR]

Each of C client threads opens connections one after another until N
have been made, reads to the end, and classifies the result:
  complete  exactly one line of the expected shape, ending CR LF
  refused   the connection was refused or reset before any byte came
  empty     accepted, then closed without a byte (a superserver's
            limit: xinetd's cps, instances, per_source)
  partial   some bytes, but not one complete well-formed line
  hang      no end of the answer within --timeout seconds, while no
            other connection of the storm ended either (a stall: a
            server that a busy host slows keeps ending connections)
Prints "complete=.. refused=.. empty=.. partial=.. hang=.. seconds=..
connect=.. slowest=..", connect being the longest handshake (the
kernel's alone: 1 s or more means a SYN was retransmitted) and
slowest the longest single connection (connect to
end) in seconds, then up to five examples of anything partial or hung.
--source: connect from that local address (e.g. 127.0.0.2), one source
for the server's per-source limits. Exit 0 always: the test judges the
numbers."""
import argparse, re, socket, threading, time

CTIME = re.compile(rb"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) "
                   rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                   rb"[ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4,}\r\n$")
ANY = re.compile(rb"^[\x20-\x7e]+\r\n$")


# When a connection of this storm last ended (time.monotonic()).
progress = [time.monotonic()]
# The longest handshake (connect()) so far, in seconds.
handshake = [0.0]
lock = threading.Lock()


def one(port, timeout, shape, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    try:
        if source:
            s.bind((source, 0))
        c = time.monotonic()
        s.connect(("127.0.0.1", port))
        with lock:
            handshake[0] = max(handshake[0], time.monotonic() - c)
        s.settimeout(min(timeout, 0.5))
        last = time.monotonic()
        while True:
            try:
                b = s.recv(4096)
            except socket.timeout:
                if time.monotonic() - max(last, progress[0]) > timeout:
                    raise
                continue
            if not b:
                break
            data += b
            last = time.monotonic()
    except socket.timeout:
        return "hang", data
    except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
        if not data:
            return "refused", data
        return ("complete" if shape.match(data) else "partial"), data
    finally:
        s.close()
    if not data:
        return "empty", data
    return ("complete" if shape.match(data) else "partial"), data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--format", default="ctime", choices=["ctime", "any"])
    ap.add_argument("--source", default=None)
    a = ap.parse_args()
    shape = CTIME if a.format == "ctime" else ANY
    counts = {"complete": 0, "refused": 0, "empty": 0, "partial": 0,
              "hang": 0}
    bad = []
    left = [a.count]
    slowest = [0.0]

    def client():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            t = time.monotonic()
            kind, data = one(a.port, a.timeout, shape, a.source)
            if kind != "hang":
                progress[0] = time.monotonic()
            t = time.monotonic() - t
            with lock:
                counts[kind] += 1
                slowest[0] = max(slowest[0], t)
                if kind in ("partial", "hang") and len(bad) < 5:
                    bad.append((kind, data))

    t0 = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(" ".join(f"{k}={v}" for k, v in counts.items()) +
          f" seconds={time.monotonic() - t0:.2f} connect={handshake[0]:.3f}"
          f" slowest={slowest[0]:.3f}")
    for kind, data in bad:
        print(f"{kind}: {data!r}")


main()
