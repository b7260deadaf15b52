#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Write the seed corpus of each harness into fuzz/corpus/<harness>/.

Run from anywhere; rewrites the seeds (deterministic, no clock read).
The request seeds are a 40-byte prefix (source and server state, see
fuzz/ntp.c) followed by the datagram: valid requests of every
version and mode that is answered, and one of each drop class."""
import os, struct

TOP = os.path.dirname(os.path.abspath(__file__))
XMT = struct.pack("!II", 0xED5B1B5E, 0x12345678)   # 2026, any fraction


def ntp(vn, mode, length=48, leap=0):
    pkt = struct.pack("!BBbb", leap << 6 | vn << 3 | mode, 0, 6, -20)
    pkt += bytes(36) + XMT
    return pkt + bytes(length - 48) if length >= 48 else pkt[:length]


def prefix(addr=b"\x7f\0\0\x01", v6=False, port=40000, unknown=False,
           sync=True, leap=0, stratum=15, rx=0x8000000000 // 2):
    a = addr + bytes(16 - len(addr))
    p = bytes([1 if v6 else 0]) + a + struct.pack("!H", port)
    p += bytes([1 if unknown else 0, (1 if sync else 0) | leap << 1])
    p += bytes([stratum, 0xEC]) + struct.pack("!III", 0, 0x0000041A, 0x7F7F0101)
    p += (rx * 2).to_bytes(5, "big")[-5:]
    assert len(p) == 40
    return p


def request_seeds():
    s = {}
    for vn in (1, 2, 3, 4):
        s[f"ok-v{vn}-client"] = prefix() + ntp(vn, 3)
        s[f"ok-v{vn}-symactive"] = prefix() + ntp(vn, 1)
    s["ok-v1-mode0"] = prefix() + ntp(1, 0)
    s["ok-v4-ext-1024"] = prefix() + ntp(4, 3, 1024)
    s["ok-v4-mac-68"] = prefix() + ntp(4, 3, 68)
    s["ok-v4-from-123"] = prefix(port=123) + ntp(4, 3)
    s["ok-by-hand"] = prefix(unknown=True) + ntp(4, 3)
    s["ok-unsync"] = prefix(sync=False) + ntp(4, 3)
    kod = bytearray(prefix() + ntp(4, 3))
    kod[20] |= 8
    s["ok-kod-rate"] = bytes(kod)
    s["ok-leap-insert"] = prefix(leap=1) + ntp(4, 3)
    s["ok-ipv6"] = prefix(addr=b"\0" * 15 + b"\1", v6=True) + ntp(4, 3)
    s["drop-v1-mode0-from-123"] = prefix(port=123) + ntp(1, 0)
    s["drop-len-0"] = prefix()
    s["drop-len-47"] = prefix() + ntp(4, 3, 47)
    s["drop-len-50"] = prefix() + ntp(4, 3, 50)
    s["drop-len-1"] = prefix() + b"\x1b"
    s["drop-version-0"] = prefix() + ntp(0, 3)
    for vn in (5, 6, 7):
        s[f"drop-version-{vn}"] = prefix() + ntp(vn, 3)
    for mode in (0, 2, 4, 5, 6, 7):
        s[f"drop-mode-{mode}"] = prefix() + ntp(4, mode)
    s["drop-mode-7-monlist"] = prefix() + bytes([0x17, 0, 3, 42]) + bytes(44)
    s["drop-mode-6-readvar"] = prefix() + bytes([0x16, 2, 0, 1]) + bytes(8)
    s["drop-src-port0"] = prefix(port=0) + ntp(4, 3)
    s["drop-src-zero-net"] = prefix(addr=b"\0\0\0\0") + ntp(4, 3)
    s["drop-src-multicast"] = prefix(addr=b"\xe0\0\0\x01") + ntp(4, 3)
    s["drop-src-broadcast"] = prefix(addr=b"\xff\xff\xff\xff") + ntp(4, 3)
    s["drop-src-v6-any"] = prefix(addr=b"", v6=True) + ntp(4, 3)
    s["drop-src-v6-multicast"] = prefix(addr=b"\xff\x02" + bytes(13) + b"\1",
                                        v6=True) + ntp(4, 3)
    s["drop-src-v4mapped-bcast"] = prefix(
        addr=bytes(10) + b"\xff\xff\xff\xff\xff\xff", v6=True) + ntp(4, 3)
    s["drop-garbage"] = prefix() + bytes((i * 37 + 11) & 255 for i in range(64))
    return s


def daytime_seeds():
    s = {}
    times = {"now": 1795362341, "epoch": 0, "neg": -1, "y2038": 2**31,
             "ntp-era1": 2085978496, "far": 67767976233316800,
             "min": -2**63, "max": 2**63 - 1}
    for tn, t in times.items():
        for f in range(6):
            z = (f * 3 + len(tn)) % 13
            s[f"{tn}-f{f}-z{z}"] = (struct.pack("!q", t) + bytes([f, z]) +
                                    struct.pack("!ii", f % 3, 0))
    # Year 2147481748: tm_year + 1900 overflows int (found by fuzzing).
    s["nist-year-near-int-max"] = struct.pack("!qBBii", 0x00F0C29D86BDBD1F,
                                              5, 0, 0, 0)
    s["nist-odd-clock"] = struct.pack("!qBBii", 1795362341, 5, 0, -2**31, 2**31 - 1)
    # Format 6: --format=+FORMAT. Mode bit 0: the format as it stands;
    # bit 1: the time folded into 1970-9999; bit 2: --utc under the zone.
    fmts = {"guide": b"%Y-%m-%d %H:%M:%S UTC", "week": b"%G-W%V-%u",
            "epoch": b"%s", "flags": b"%015s|%_12s|%-d %^B %#A %Ey %OB",
            "longest": b"%B %A " + b"x" * 137, "bad-nl": b"%F%n",
            "bad-q": b"%q", "zone": b"%c %Z %z %-z"}
    for i, (fn, fmt) in enumerate(fmts.items()):
        for mode in (1, 3, 7):
            z = 0 if mode != 7 else 1 + i % 12
            s[f"custom-{fn}-m{mode}"] = (struct.pack("!qBBii", 1795362341, 6, z, 0, 0)
                                         + bytes([mode]) + fmt)
    # A built format: literal and conversion bytes (mode 2).
    s["custom-built"] = (struct.pack("!qBBii", 253402300799, 6, 3, 0, 0) +
                         bytes([2, 0x41, 0x7f, 10, 0x20, 0x6c, 30, 0x61]))
    return s


def timestamp_seeds():
    s = {}
    for name, sec, nsec, off in [("now", 1795362341, 123456789, 1000),
                                 ("era-edge", 2085978495, 999999999, 2),
                                 ("before-1900", -2208988801, 1, -5),
                                 ("far-past", -2**62, 500000000, 2**31 - 1),
                                 ("far-future", 2**62, 0, -(2**31) + 1),
                                 ("zero", 0, 0, 0)]:
        s[name] = (struct.pack("!qIi", sec, nsec, off) +
                   struct.pack("!Q", 0xFFFFFFFFFFFFFFFF))
    # A pivot at the end of time_t: the nearest instant overflows
    # (found by fuzzing ntp_describe).
    pmax = 2**63 - 1
    near = ((pmax + 2208988800 + 1000) % 2**32) << 32
    s["pivot-int64-max"] = (struct.pack("!qIi", 0, 0, 0) +
                            struct.pack("!Qq", near, pmax))
    pmin = -2**63
    near = ((pmin + 2208988800 - 1000) % 2**32) << 32
    s["pivot-int64-min"] = (struct.pack("!qIi", 0, 0, 0) +
                            struct.pack("!Qq", near, pmin))
    return s


def describe_seeds():
    s = {}
    reply = bytearray(ntp(4, 4))
    reply[1] = 1
    reply[12:16] = b"GPS\0"
    s["reply-stratum1"] = struct.pack("!qH", 1795362341, 1024) + bytes(reply)
    s["kiss-rate"] = struct.pack("!qH", 1795362341, 1024) + bytes(
        [0xE4, 0, 6, 0xEC]) + bytes(8) + b"RATE" + bytes(32)
    s["all-ones"] = struct.pack("!qH", -1, 50) + b"\xff" * 48
    # Found by fuzzing: pivot INT64_MAX, timestamps an era ahead of it.
    s["pivot-int64-max"] = bytes.fromhex(
        "7ffffffffffffffffffffffffffffff6ffffffffffff4b7f8bd00e390000"
        "7affffff48ffffffffffffff000000000000010000220000000000d0398b4bff7f0000ff")
    s["small-cap"] = struct.pack("!qH", 2**62, 0) + ntp(3, 3)
    return s


def ratelimit_seeds():
    s = {}
    # ntpdate-like: a burst of 8, then one every 64 s (capped steps).
    steps = [(0, 0)] * 8 + [(0, 65535)] * 4
    s["client-burst-then-slow"] = bytes([3, 31]) + b"".join(
        struct.pack("!BH", src, ms) for src, ms in steps)
    # One source flooding, one good one, spoofed sources around them.
    flood = []
    for i in range(300):
        flood.append((1, 1))
        if i % 50 == 0:
            flood.append((2, 0))
        if i % 3 == 0:
            flood.append((0x80 | (i % 128), 0))
    s["flood-with-spoofed"] = bytes([3, 31]) + b"".join(
        struct.pack("!BH", src, ms) for src, ms in flood)
    s["one-per-second"] = bytes([0, 0]) + struct.pack("!BH", 0, 1000) * 40
    return s


# The NTS seeds, under the fixed keys of fuzz/ntsfixed.h, sealed with
# python3-cryptography's AES-SIV (not sockclock's Nettle code).
MASTERS = [(0x1000 - i, bytes([0x61 + i]) * 32) for i in range(4)]
C2S, S2C = bytes(range(1, 33)), bytes(range(0x40, 0x60))


def cookie(slot=1, nonce=bytes(range(16))):
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    kid, key = MASTERS[slot]
    idb = struct.pack("!I", kid)
    return idb + nonce + AESSIV(key).encrypt(C2S + S2C, [idb, nonce])


def ef(t, body):
    body += bytes(-len(body) % 4)
    return struct.pack("!HH", t, 4 + len(body)) + body


def nts_request(placeholders=0, uid=bytes(range(32)), extra=b"", slot=1,
                nonce_len=16, pad=0, inner=b"", vn=4, mode=3):
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    pkt = ntp(vn, mode) + ef(0x0104, uid) + extra + ef(0x0204, cookie(slot))
    pkt += ef(0x0304, bytes(100)) * placeholders
    nonce = bytes(range(100, 100 + nonce_len))
    ct = AESSIV(C2S).encrypt(ef(0x7778, bytes(12)) + inner, [pkt, nonce])
    body = struct.pack("!HH", nonce_len, len(ct)) + nonce + \
        bytes(-nonce_len % 4) + ct + bytes(pad)
    return pkt + ef(0x0404, body)


def ntsef_seeds():
    s = {f"ok-{p}-placeholders": nts_request(p) for p in (0, 1, 3, 7)}
    s["ok-unknown-field"] = nts_request(1, extra=ef(0x7777, bytes(12)))
    s["ok-uid-64"] = nts_request(0, uid=bytes(64))
    s["ok-oldest-key"] = nts_request(0, slot=3)
    good = nts_request(0)
    s["bad-two-cookies"] = nts_request(0, extra=ef(0x0204, cookie()))
    s["bad-short-placeholder"] = nts_request(0, extra=ef(0x0304, bytes(96)))
    s["bad-len-odd"] = good[:-4] + struct.pack("!HH", 0x0404, 18) + bytes(16)
    # RFC 8915 §5.6-7 and §5: short nonces with Additional Padding,
    # placeholders inside the encrypted fields, NTS outside mode 3.
    s["ok-nonce-12-pad-4"] = nts_request(1, nonce_len=12, pad=4)
    s["ok-nonce-1-pad-16"] = nts_request(0, nonce_len=1, pad=16)
    s["bad-nonce-12-no-pad"] = nts_request(0, nonce_len=12)
    s["ok-nonce-13-no-pad"] = nts_request(0, nonce_len=13)
    s["bad-nonce-9-no-pad"] = nts_request(0, nonce_len=9)
    s["ok-3-enc-placeholders"] = nts_request(0, inner=ef(0x0304, bytes(100)) * 3)
    s["ok-2-clear-3-enc"] = nts_request(2, inner=ef(0x0304, bytes(100)) * 3)
    s["ok-9-enc-placeholders"] = nts_request(0, inner=ef(0x0304, bytes(100)) * 9)
    s["bad-enc-placeholder-short"] = nts_request(0, inner=ef(0x0304, bytes(96)))
    s["bad-enc-not-fields"] = nts_request(0, inner=bytes(8))
    s["bad-mode-1"] = nts_request(1, mode=1)
    s["plain-v1-mode-0"] = nts_request(1, vn=1, mode=0)
    s["plain-mac"] = ntp(4, 3, 68)
    s["plain-unknown"] = ntp(4, 3) + ef(0x7777, bytes(12))
    return s


def ntscookie_seeds():
    import hashlib
    s = {f"cookie-slot-{i}": cookie(i) for i in range(4)}
    s["cookie-unknown-id"] = struct.pack("!I", 7) + cookie()[4:]
    s["cookie-short"] = cookie()[:99]
    body = b"SCNTSK1\n" + struct.pack("!q", 1700000000) + b"".join(
        struct.pack("!I", kid) + key for kid, key in reversed(MASTERS))
    s["keyfile"] = body + hashlib.sha256(body).digest()
    return s


def masterkey_seeds():
    """The secret (32), P - 1 (3), the time (8), a shift (1), a cookie."""
    import struct as st
    sec = bytes(range(1, 33))
    day = st.pack("!I", 86399)[1:]
    s = {"day-now": sec + day + st.pack("!q", 1700000000) + b"\0",
         "two-s-next": sec + st.pack("!I", 1)[1:] + st.pack("!q", 1700000001) + b"\xff",
         "before-1970": sec + day + st.pack("!q", -1) + b"\x02",
         "too-old": sec + day + st.pack("!q", 1700000000) + b"\x03",
         "with-cookie": sec + day + st.pack("!q", 1700000000) + b"\0" + cookie()}
    return s


def chronycmd_seeds():
    """4 bytes of sequence, then a reply chronyd 4.3 sent (see
    tests/unit/test_chronycmd.c), and each broken once."""
    sync = bytes.fromhex(
        "06020000002100050000000000000000c31ad0a600000000000000007f000001"
        "7f0000010000000000000000000000000001000000020000000000006b17196c"
        "3163f9b1db006a79cd353754d0e13b27f9519142e71e1a8ffcc29972e0c9426d"
        "dc912c43fc8312f6")
    unsync = bytes.fromhex(
        "0602000000210005000000000000000080bbacda000000000000000000000000"
        "0000000000000000000000000000000000000000000000030000000000000000"
        "0000000000000000000000000000000000000000000000000000000004800000"
        "0480000000000000")
    s = {"sync": sync[16:20] + sync, "unsync": unsync[16:20] + unsync,
         "short": sync[16:20] + sync[:100], "long": sync[16:20] + sync + bytes(4),
         "other-seq": bytes(4) + sync}
    for off, name in ((0, "version"), (1, "type"), (5, "command"), (9, "status"),
                      (7, "reply"), (55, "leap")):
        b = bytearray(sync)
        b[off] ^= 0x04
        s["bad-" + name] = sync[16:20] + bytes(b)
    return s


def timesyncd_seeds():
    """8 bytes of now (µs), then a record as tsd_encode writes it (see
    common/proto/timesyncd.c): timesyncd following 192.0.2.7 at stratum
    2, the same over IPv6, unsynchronised, old, and each broken once."""
    now = 1796674930000000
    def rec(leap=0, stratum=2, family=4, addr=bytes([192, 0, 2, 7]),
            dest=now - 2000000, poll=64000000):
        t1 = dest - 20000
        b = struct.pack("!I", 0x54534431)
        b += bytes([leap, 4, 4, stratum, 0, family, 0xec, 0])
        b += struct.pack("!QQ", 250000, 125000) + bytes([0xc6, 0x33, 0x64, 1])
        b += struct.pack("!QQQQQQQ", t1, t1 + 9000, t1 + 13000, dest, 9, 3000, poll)
        return b + addr + bytes(16 - len(addr))
    t = struct.pack("!Q", now)
    s = {"sync": t + rec(), "ipv6": t + rec(family=6, addr=bytes([0x20, 1, 0xd, 0xb8]) + bytes(11) + b"\x07"),
         "unsync": t + rec(leap=3), "stratum15": t + rec(stratum=15),
         "old": t + rec(dest=now - 8 * 64000000 - 1), "future": t + rec(dest=now + 2000000),
         "no-address": t + rec(family=0, addr=b""), "short": t + rec()[:100]}
    for off, name in ((0, "magic"), (4, "leap"), (9, "family"), (11, "pad"), (103, "addr")):
        b = bytearray(rec())
        b[off] ^= 0x44
        s["bad-" + name] = t + bytes(b)
    return s


def symkeyfile_seeds():
    return {
        "chrony": b"# chronyc keygen\n1 SHA1 HEX:0123456789ABCDEF0123456789ABCDEF01234567\n"
                  b"2 MD5 ASCII:secret\n3 secret\n! x\n; y\n% z\n"
                  b"4 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
                  b"5 AES256 0123456789abcdef0123456789abcdef\n"
                  b"6 SHA256 k\n7 SHA384 k\n8 SHA512 k\n",
        "ntpd": b"1 M md5key # comment\n2 SHA1 sha1key\n3 AES128CMAC 0123456789abcdef\r\n",
        "bad-id": b"0 MD5 x\n",
        "bad-type": b"1 SHA3-256 x\n",
        "bad-hex": b"1 MD5 HEX:0g\n",
        "dup": b"1 MD5 a\n1 MD5 b\n",
    }


def symkeymac_seeds():
    """Requests MAC'd with the keys of fuzz/symkeymac.c."""
    import hashlib
    from_keys = {1: ("md5", b"md5key"), 2: ("sha1", b"sha1key"),
                 3: ("sha256", b"k3"), 4: ("sha384", b"k4"), 5: ("sha512", b"k5")}
    s = {}
    for vn in (3, 4):
        hdr = ntp(vn, 3)
        for kid, (h, key) in from_keys.items():
            d = hashlib.new(h, key + hdr).digest()
            if vn == 4:
                d = d[:20]
            s[f"v{vn}-key{kid}"] = hdr + struct.pack("!I", kid) + d
    hdr = ntp(4, 3)
    field = ef(0x2005, bytes(12))
    d = hashlib.sha1(b"sha1key" + hdr + field).digest()
    s["after-field"] = hdr + field + struct.pack("!I", 2) + d
    s["unknown-key"] = hdr + struct.pack("!I", 99) + bytes(16)
    s["long-v4"] = hdr + struct.pack("!I", 3) + bytes(32)
    return s


for harness, seeds in [("ntp", request_seeds()),
                       ("chronycmd", chronycmd_seeds()),
                       ("timesyncd", timesyncd_seeds()),
                       ("ntsntp", ntsef_seeds()),
                       ("ntscookie", ntscookie_seeds()),
                       ("masterkey", masterkey_seeds()),
                       ("ratelimit", ratelimit_seeds()),
                       ("daytime", daytime_seeds()),
                       ("ntp_time", timestamp_seeds()),
                       ("ntp_describe", describe_seeds()),
                       ("symkeyfile", symkeyfile_seeds()),
                       ("symkeymac", symkeymac_seeds())]:
    d = os.path.join(TOP, "corpus", harness)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
