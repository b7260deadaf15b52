# SPDX-License-Identifier: ISC
"""Amplification check: send every class of request to a UDP server and
count, per class, the bytes that came back against the bytes sent.

Usage: amplify.py PORT [--copies N] [--lead N]

Classes: every version 0-7 with every mode 0-7 at lengths 48, 52, 68,
120 and 1024; lengths 0-47 and 49-51; garbage of 48..1024 bytes. Each
class is sent --copies times from its own socket (its own source port).
--lead N first sends N valid v4 client requests (class "lead"), to
drive a rate limit into its kiss-o'-death with a valid request.
Prints one line per class, "class sent=B received=R replies=K maxlen=L",
then "total sent=.. received=.. ratio=.. worst=CLASS:RATIO"."""
import argparse, os, random, select, socket, struct, time


def ntp(vn, mode, length):
    pkt = bytes([vn << 3 | mode, 0, 6, 0xEC]) + bytes(36) + os.urandom(8)
    return (pkt + bytes(max(0, length - 48)))[:length]


def classes():
    rnd = random.Random(5)
    for vn in range(8):
        for mode in range(8):
            for length in (48, 52, 68, 120, 1024):
                yield f"v{vn}m{mode}l{length}", ntp(vn, mode, length)
    for length in list(range(0, 48)) + [49, 50, 51]:
        yield f"len{length}", ntp(4, 3, length)
    for length in (48, 64, 100, 256, 512, 1024):
        yield f"garbage{length}", bytes(rnd.randrange(256) for _ in range(length))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--lead", type=int, default=0)
    a = ap.parse_args()
    socks = {}
    lead = [("lead", ntp(4, 3, 48))] if a.lead else []
    for name, data in lead + list(classes()):
        copies = a.lead if name == "lead" else a.copies
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        for _ in range(copies):
            s.sendto(data, ("127.0.0.1", a.port))
        socks[s] = [name, len(data) * copies, 0, 0, 0]
        time.sleep(0.0005)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        r, _, _ = select.select(list(socks), [], [], 0.1)
        for s in r:
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            st = socks[s]
            st[2] += len(b)
            st[3] += 1
            st[4] = max(st[4], len(b))
    tsent = trecv = 0
    worst, wratio = "-", 0.0
    for s, (name, sent, recv, k, maxlen) in socks.items():
        print(f"{name} sent={sent} received={recv} replies={k} maxlen={maxlen}")
        tsent += sent
        trecv += recv
        ratio = recv / sent if sent else (float("inf") if recv else 0.0)
        if ratio > wratio:
            worst, wratio = name, ratio
        s.close()
    print(f"total sent={tsent} received={trecv} "
          f"ratio={trecv / max(tsent, 1):.3f} worst={worst}:{wratio:.3f}")


main()
