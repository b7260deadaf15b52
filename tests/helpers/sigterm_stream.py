# SPDX-License-Identifier: ISC
"""SIGTERM a server in the middle of a stream of requests; judge every
answer received before and after, and how long the server took to go.

Usage: sigterm_stream.py PORT PID --proto ntp|daytime-udp|daytime-tcp
                         [--before S] [--after S]

Sends requests back to back (UDP: one in flight at a time with a short
timeout; TCP: 8 threads of connections) for --before seconds, sends
SIGTERM to PID (a server the test started), goes on for --after
seconds. Prints "answers=N bad=B exit_seconds=T" and examples of bad
answers. exit_seconds: from the signal until PID is gone or a zombie
(-1 if still running after 5 s)."""
import argparse, os, re, signal, socket, threading, time

LINE = re.compile(rb"^[\x20-\x7e]+\r\n$")


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        # reaped between open and read: gone as well
        return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("pid", type=int)
    ap.add_argument("--proto", required=True,
                    choices=["ntp", "daytime-udp", "daytime-tcp"])
    ap.add_argument("--before", type=float, default=0.7)
    ap.add_argument("--after", type=float, default=0.5)
    a = ap.parse_args()
    stats = {"answers": 0, "bad": 0}
    examples = []
    lock = threading.Lock()
    stop = time.monotonic() + a.before + a.after

    def judge(ok, what):
        with lock:
            stats["answers" if ok else "bad"] += 1
            if not ok and len(examples) < 5:
                examples.append(what)

    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.05)
        # Every request sent: a reply slower than the 50 ms wait (a busy
        # host, a sanitizer build) comes while a later request is out,
        # and is judged against its own request, not the latest.
        sent = set()
        while time.monotonic() < stop:
            xmt = os.urandom(8)
            req = (bytes([0x23]) + bytes(39) + xmt if a.proto == "ntp"
                   else b"\n")
            try:
                s.sendto(req, ("127.0.0.1", a.port))
                sent.add(xmt)
                b = s.recv(2048)
            except (socket.timeout, ConnectionRefusedError):
                continue
            if a.proto == "ntp":
                ok = len(b) == 48 and b[24:32] in sent and b[0] & 7 == 4
                sent.discard(b[24:32])
                judge(ok, b)
            else:
                judge(bool(LINE.match(b)), b)

    def tcp():
        while time.monotonic() < stop:
            c = socket.socket()
            c.settimeout(2)
            data = b""
            try:
                c.connect(("127.0.0.1", a.port))
                while True:
                    b = c.recv(4096)
                    if not b:
                        break
                    data += b
            except (ConnectionRefusedError, ConnectionResetError):
                pass
            except socket.timeout:
                judge(False, b"hang: " + data)
                continue
            finally:
                c.close()
            if data:
                judge(bool(LINE.match(data)), data)

    workers = [threading.Thread(target=tcp if a.proto == "daytime-tcp" else udp)
               for _ in range(8 if a.proto == "daytime-tcp" else 1)]
    for w in workers:
        w.start()
    time.sleep(a.before)
    t0 = time.monotonic()
    os.kill(a.pid, signal.SIGTERM)
    exit_s = -1.0
    while time.monotonic() - t0 < 5:
        if gone(a.pid):
            exit_s = time.monotonic() - t0
            break
        time.sleep(0.005)
    for w in workers:
        w.join()
    print(f"answers={stats['answers']} bad={stats['bad']} exit_seconds={exit_s:.3f}")
    for e in examples:
        print(f"bad: {e!r}")


main()
