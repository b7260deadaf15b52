# SPDX-License-Identifier: ISC
"""Helpers for root/upstream.bats and upstream.bats.

upstream.py compare B_PORT S_PORT
    Ask chronyd B (its own NTP server reply) and sntp-udp S, then B
    again. Exit 0 when S's header is B's: LI, stratum, refid, reftime
    equal; root delay within 5 %; root dispersion >= B's first and
    <= B's second + 1 ms. Exit 2 when B's reference time changed
    between (ask again), 1 on any other difference. Prints both.
upstream.py fake PORT MODE [STRATUM]
    A fake chronyd command port on 127.0.0.1:PORT answering `tracking`
    (stratum STRATUM (3), refid 192.0.2.1, leap normal) in MODE: good, short,
    long, version, command, sequence, status, otherport, late (5 ms); or
    well formed with leap status insert (leap) or not synchronised
    (unsync, stratum 0).
    Prints "ready", then one line per request it got.
"""
import socket, struct, sys, time

SYNC = bytes.fromhex(
    "06020000002100050000000000000000c31ad0a600000000000000007f000001"
    "7f0000010000000000000000000000000001000000020000000000006b17196c"
    "3163f9b1db006a79cd353754d0e13b27f9519142e71e1a8ffcc29972e0c9426d"
    "dc912c43fc8312f6")


def ask(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    t = time.time()
    sec = int(t) + 2208988800
    req = struct.pack("!BBbb11I", 0x23, 0, 6, -20, *([0] * 11))
    req = req[:40] + struct.pack("!II", sec & 0xFFFFFFFF, int((t % 1) * 2**32))
    s.sendto(req, ("127.0.0.1", port))
    b = s.recv(4096)
    f = struct.unpack("!BBbbIII8s8s8s8s", b[:48])
    return dict(leap=f[0] >> 6, stratum=f[1], rootdelay=f[4], rootdisp=f[5],
                refid="%08x" % f[6], reftime=f[7].hex())


def compare(bport, sport):
    b1, s, b2 = ask(bport), ask(sport), ask(bport)
    print("chronyd:  %s" % b1)
    print("sntp-udp: %s" % s)
    if b1["reftime"] != b2["reftime"] or s["reftime"] != b1["reftime"]:
        print("reference time moved: ask again")
        return 2
    bad = [k for k in ("leap", "stratum", "refid") if s[k] != b1[k]]
    if abs(s["rootdelay"] - b1["rootdelay"]) > 0.05 * b1["rootdelay"] + 1:
        bad.append("rootdelay")
    if not b1["rootdisp"] <= s["rootdisp"] <= b2["rootdisp"] + 66:   # 1 ms
        bad.append("rootdisp")
    print("differ: %s" % (" ".join(bad) or "nothing"))
    return 1 if bad else 0


def fake(port, mode, stratum):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    print("ready", flush=True)
    ip = bytes([192, 0, 2, 1])
    while True:
        req, peer = s.recvfrom(4096)
        print("request %d bytes" % len(req), flush=True)
        r = bytearray(SYNC)
        r[16:20] = req[8:12]                 # the sequence echoed
        r[28:32] = ip                        # reference ID
        r[32:36] = ip
        r[52:54] = struct.pack("!H", stratum)
        now = int(time.time()) - 3
        r[56:68] = struct.pack("!III", 0, now, 0)
        if mode == "short":
            r = r[:100]
        elif mode == "long":
            r = r + bytes(4)
        elif mode == "version":
            r[0] = 5
        elif mode == "command":
            r[5] = 34
        elif mode == "sequence":
            r[19] ^= 1
        elif mode == "status":
            r[9] = 2
        elif mode == "leap":
            r[54:56] = struct.pack("!H", 1)  # leap status: insert
        elif mode == "unsync":
            r[52:56] = struct.pack("!HH", 0, 3)
        elif mode == "late":
            time.sleep(0.005)
        (other if mode == "otherport" else s).sendto(bytes(r), peer)


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        sys.exit(compare(int(sys.argv[2]), int(sys.argv[3])))
    fake(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 3)
