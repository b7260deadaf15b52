# SPDX-License-Identifier: ISC
"""A well-behaved UDP client: one request every --interval seconds for
--seconds, from --src (another loopback address than a flood's), and
count the answers that are complete and belong to a request.

Usage: good_client.py PORT [--proto ntp|daytime] [--seconds S]
                           [--interval I] [--src ADDR]

ntp: a 48-byte v4 client request with a unique transmit timestamp; an
answer counts when it is 48 bytes, mode 4, VN 4 and its origin is the
transmit timestamp of one of our requests (each counted once).
daytime: any datagram; an answer counts when it is one printable line
ending CR LF (at most one per request).
Prints "sent=N answered=M share=P bad=B"."""
import argparse, os, re, select, socket, struct, time

LINE = re.compile(rb"^[\x20-\x7e]+\r\n$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--proto", default="ntp", choices=["ntp", "daytime"])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--src", default="127.0.0.1")
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    sent, answered, bad = 0, 0, 0
    pending = set()
    end = time.monotonic() + a.seconds
    nxt = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= nxt and now < end:
            if a.proto == "ntp":
                xmt = os.urandom(8)
                pending.add(xmt)
                s.sendto(bytes([0x23]) + bytes(39) + xmt, ("127.0.0.1", a.port))
            else:
                s.sendto(b"?", ("127.0.0.1", a.port))
            sent += 1
            nxt += a.interval
        if now >= end + 0.5:
            break
        wait = max(0.0, min(nxt, end + 0.5) - now)
        r, _, _ = select.select([s], [], [], wait)
        if not r:
            continue
        b = s.recv(1024)
        if a.proto == "ntp":
            ok = (len(b) == 48 and b[0] & 7 == 4 and (b[0] >> 3) & 7 == 4
                  and b[24:32] in pending)
            if ok:
                pending.discard(b[24:32])
        else:
            ok = bool(LINE.match(b)) and answered < sent
        if ok:
            answered += 1
        else:
            bad += 1
    print(f"sent={sent} answered={answered} "
          f"share={answered / max(sent, 1):.3f} bad={bad}")


main()
