# SPDX-License-Identifier: ISC
"""Send sntp-udp requests with MACs of every class (good and bad) and
print what each got, one line a class:

    NAME in=BYTES out=BYTES [mac=ok|bad version=V]

Usage: symkey_probe.py PORT [--mac-marker] [--marker-from ADDR] [CLASS...]
(default: every class; --mac-marker: the request after each probe is a
SHA1 MAC'd one, for a server under --require-keys; --marker-from: it is
sent from another socket bound to ADDR, another source for the rate
limit: the server reads its one socket's queue in order, and loopback
delivers at once, so a reply to the probe is queued before the marker's)

The keys, which the test writes into the server's key file:
    1 MD5 md5secret / 2 SHA1 sha1secret / 3 SHA256 sha256secret
and key 2's secret is "othersecret" for the class "wrong-secret".

Each probe is followed by a plain request on the same socket, and the
probe's reply is taken as what came before that request's reply (the
server answers one socket's datagrams in order): silence is seen as the
plain reply arriving first, with no timed wait. The MACs are computed
here with hashlib, never with the code under test.
"""
import hashlib, socket, struct, sys, time

KEYS = {1: ("md5", b"md5secret"), 2: ("sha1", b"sha1secret"),
        3: ("sha256", b"sha256secret")}
NTP_UNIX = 2208988800
serial = [0]


def header(version):
    serial[0] += 1
    xmt = (int(time.time()) + NTP_UNIX) << 32 | serial[0] << 8
    return struct.pack("!BBbb", version << 3 | 3, 0, 6, -20) + bytes(36) + \
        struct.pack("!Q", xmt)


def mac(kid, data, n, secret=None):
    h, key = KEYS[kid]
    return struct.pack("!I", kid) + hashlib.new(h, (secret or key) + data).digest()[:n]


def ef(t, body):
    return struct.pack("!HH", t, 4 + len(body)) + body


def classes():
    c = {}
    for name, vn, kid, n in (("md5-v4", 4, 1, 16), ("sha1-v4", 4, 2, 20),
                             ("sha1-v3", 3, 2, 20), ("sha256-v3", 3, 3, 32),
                             ("sha256-v4-cut", 4, 3, 20)):
        h = header(vn)
        c["good-" + name] = h + mac(kid, h, n)
    # Every wrong length: 0-16 bytes of SHA1 digest, and 24 (v4: a MAC
    # field over 24 bytes); MD5 at 20; SHA256 whole in v4 (ntpdig's
    # way), cut to 20 in v3.
    for n in (0, 4, 8, 12, 16):
        h = header(4)
        c["sha1-v4-len%d" % n] = h + mac(2, h, n)
    h = header(4)
    c["sha1-v4-len24"] = h + mac(2, h, 20) + bytes(4)
    h = header(4)
    c["md5-v4-len20"] = h + mac(1, h, 16) + bytes(4)
    h = header(4)
    c["sha256-v4-len32"] = h + mac(3, h, 32)
    h = header(3)
    c["sha256-v3-len20"] = h + mac(3, h, 20)
    h = header(4)
    c["unknown-id"] = h + struct.pack("!I", 99) + mac(2, h, 20)[4:]
    h = header(4)
    c["id-0"] = h + struct.pack("!I", 0) + mac(2, h, 20)[4:]
    h = header(4)
    m = bytearray(mac(2, h, 20))
    m[-1] ^= 1
    c["corrupt-digest"] = h + bytes(m)
    h = header(4)
    m = mac(2, h, 20)
    c["corrupt-header"] = h[:8] + b"\xff" + h[9:] + m
    h = header(4)
    c["wrong-secret"] = h + mac(2, h, 20, b"othersecret")
    h = header(4)
    f = ef(0x2005, bytes(12))
    c["good-after-field"] = h + f + mac(2, h + f, 20)
    c["plain"] = header(4)
    h = header(4)
    c["bad-field"] = h + struct.pack("!HH", 0x2005, 6) + bytes(28)
    return c


def main():
    port = int(sys.argv[1])
    want = sys.argv[2:]
    mac_marker = want[:1] == ["--mac-marker"]
    if mac_marker:
        want = want[1:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(10)
    m = s
    if want[:1] == ["--marker-from"]:
        m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        m.bind((want[1], 0))
        m.connect(("127.0.0.1", port))
        m.settimeout(10)
        want = want[2:]
    for name, pkt in classes().items():
        if want and name not in want:
            continue
        plain = header(4)
        if mac_marker:
            plain += mac(2, plain, 20)
        s.send(pkt)
        m.send(plain)
        got = None
        while True:
            try:
                r = m.recv(2048)
            except socket.timeout:
                print("%s in=%d no answer to the plain request" % (name, len(pkt)))
                sys.exit(1)
            if r[24:32] == plain[40:48]:
                break
            if r[24:32] == pkt[40:48]:
                got = r
        if m is not s:
            s.setblocking(False)
            try:
                r = s.recv(2048)
                if r[24:32] == pkt[40:48]:
                    got = r
            except BlockingIOError:
                pass
            s.settimeout(10)
        if got is None:
            print("%s in=%d out=0" % (name, len(pkt)))
            continue
        ok = "none"
        if len(got) > 48:
            kid = struct.unpack("!I", got[48:52])[0]
            if kid in KEYS:
                good = mac(kid, got[:48], len(got) - 52)
                ok = "ok" if good == got[48:] else "bad"
        print("%s in=%d out=%d mac=%s version=%d" % (
            name, len(pkt), len(got), ok, got[0] >> 3 & 7))


main()
