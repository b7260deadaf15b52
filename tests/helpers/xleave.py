# SPDX-License-Identifier: ISC
"""Interleaved mode (RFC 9769 section 2) checked field by field against
an SNTP server on 127.0.0.1:PORT, as a client on one socket that stamps
its replies' arrival with the kernel (SO_TIMESTAMPNS).

Usage: xleave.py PORT

1. a basic request (origin 0) gets a basic reply: origin = its transmit,
   the receive timestamp's lowest bit 1, the transmit's 0;
2. a request whose origin is reply 1's receive (reply 1 was no
   candidate's, so nothing is kept for it) gets a basic reply;
3. a request whose origin is reply 2's receive gets an interleaved
   reply: origin = its receive field, receive after reply 2's, transmit
   after reply 2's transmit field (the kernel's stamp, not the time read
   before the send) and not after reply 2 reached this client;
4. the same origin again: basic (an entry is given out once);
5. an odd origin that names no reply: basic.
Prints one line per step; exit 1 at the first step that fails.
"""
import os, socket, struct, sys, time

NTP_UNIX = 2208988800
SO_TIMESTAMPNS = 35


def ntp_of_ns(ns):
    s, f = divmod(ns, 10**9)
    return (s + NTP_UNIX) << 32 | (f << 32) // 10**9


def ns_of_ntp(t):
    return ((t >> 32) - NTP_UNIX) * 10**9 + ((t & 0xFFFFFFFF) * 10**9 + 2**31 >> 32)


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.connect(("127.0.0.1", port))
    s.settimeout(3)
    time.sleep(0.05)  # the kernel turns arrival stamps on a moment later

    def exchange(org, rec):
        xmt = ntp_of_ns(time.time_ns()) & ~1  # a client's: even
        req = struct.pack("!BBbb3I", 0x23, 0, 6, -20, 0, 0, 0) + \
            struct.pack("!4Q", 0, org, rec, xmt)
        s.send(req)
        while True:
            data, anc, _, _ = s.recvmsg(512, 256)
            if len(data) >= 48:
                break
        arrival = None
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", val[:16])
                arrival = sec * 10**9 + nsec
        if arrival is None:
            fail("no kernel arrival stamp")
        r_org, r_rec, r_xmt = struct.unpack("!3Q", data[24:48])
        if r_rec & 1 != 1 or r_xmt & 1 != 0:
            fail("lowest bits: receive %016x transmit %016x" % (r_rec, r_xmt))
        return dict(xmt=xmt, org=r_org, rec=r_rec, txf=r_xmt, arrival=arrival)

    def basic(step, r):
        if r["org"] != r["xmt"]:
            fail("%s: origin %016x, want the request's transmit %016x"
                 % (step, r["org"], r["xmt"]))
        print("ok %s: basic, origin = transmit %016x" % (step, r["org"]))

    r1 = exchange(0, 0)
    basic("1 basic request", r1)
    r2 = exchange(r1["rec"], ntp_of_ns(r1["arrival"]))
    basic("2 origin = reply 1's receive, nothing kept", r2)
    mine = ntp_of_ns(r2["arrival"]) | 1  # anything not its transmit
    r3 = exchange(r2["rec"], mine)
    if r3["org"] != mine:
        fail("3: origin %016x, want the request's receive %016x" % (r3["org"], mine))
    if not r3["rec"] > r2["rec"]:
        fail("3: receive %016x not after reply 2's %016x" % (r3["rec"], r2["rec"]))
    t = ns_of_ntp(r3["txf"])
    if not r3["txf"] > r2["txf"]:
        fail("3: transmit %016x not after reply 2's transmit field %016x"
             % (r3["txf"], r2["txf"]))
    if t > r2["arrival"] + 1:
        fail("3: transmit %d ns after reply 2 arrived (%d)" % (t, r2["arrival"]))
    print("ok 3 interleaved: origin = receive field; transmit %d ns after "
          "reply 2's field, %d ns before it arrived"
          % (t - ns_of_ntp(r2["txf"]), r2["arrival"] - t))
    r4 = exchange(r2["rec"], mine + 2)
    basic("4 the same origin again", r4)
    r5 = exchange(r4["rec"] ^ 0x10, mine + 4)  # odd, but nobody's
    basic("5 an origin that names no reply", r5)


main()
