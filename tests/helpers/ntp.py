# SPDX-License-Identifier: ISC
"""Send one crafted NTP (or any) datagram and print what comes back.

Usage: ntp.py PORT [--host H] [--version V] [--mode M] [--len N]
              [--hex HEX] [--src-port P] [--src-host A] [--timeout S]
              [--raw-src-port0]

Prints the reply decoded as "field=value" words on one line, or
"no reply" (exit 1). --hex sends exactly those bytes. --raw-src-port0
sends from UDP source port 0 through a raw socket (root).
"""
import argparse, socket, struct, sys, time

NTP_UNIX = 2208988800


def request(version, mode, length, xmt):
    first = (0 << 6) | (version << 3) | mode
    pkt = struct.pack("!BBbb11I", first, 0, 6, -20, *([0] * 11))
    sec = int(xmt) + NTP_UNIX
    frac = int((xmt % 1) * 2**32)
    pkt = pkt[:40] + struct.pack("!II", sec & 0xFFFFFFFF, frac)
    return pkt + b"\0" * (length - 48) if length >= 48 else pkt[:length]


def decode(b, t4):
    out = {"len": len(b)}
    if len(b) < 48:
        out["raw"] = b.hex()
        return out
    f = struct.unpack("!BBbbIII8s8s8s8s", b[:48])
    ts = lambda raw: struct.unpack("!Q", raw)[0]
    out.update(leap=f[0] >> 6, version=(f[0] >> 3) & 7, mode=f[0] & 7,
               stratum=f[1], poll=f[2], precision=f[3], rootdelay=f[4],
               rootdisp=f[5], refid="%08x" % f[6], reftime="%016x" % ts(f[7]),
               org="%016x" % ts(f[8]), rec="%016x" % ts(f[9]),
               xmt="%016x" % ts(f[10]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--version", type=int, default=4)
    ap.add_argument("--mode", type=int, default=3)
    ap.add_argument("--len", type=int, default=48)
    ap.add_argument("--hex")
    ap.add_argument("--src-port", type=int, default=0)
    ap.add_argument("--src-host")
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--raw-src-port0", action="store_true")
    a = ap.parse_args()
    t1 = time.time()
    data = bytes.fromhex(a.hex) if a.hex else request(a.version, a.mode, a.len, t1)
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.src_host or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), a.src_port))
    s.settimeout(a.timeout)
    if a.raw_src_port0:
        # UDP header with source port 0; replies could not come back to
        # port 0 anyway, so only "no reply" is ever seen.
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
        hdr = struct.pack("!HHHH", 0, a.port, 8 + len(data), 0)
        raw.sendto(hdr + data, (a.host, 0))
    else:
        s.sendto(data, (a.host, a.port))
    try:
        b, _ = s.recvfrom(4096)
    except socket.timeout:
        print("no reply")
        return 1
    d = decode(b, time.time())
    print(" ".join("%s=%s" % kv for kv in d.items()))
    return 0


sys.exit(main())
