#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""An NTS-for-NTP test client (RFC 8915 §5): builds one request of a
chosen class with a cookie and its C2S/S2C keys (from tests/helpers/
ntstool), sends it over UDP (or writes it to stdout and reads the reply
from --reply-file, for sntp-udp by hand), and prints one line per request class:

  CLASS sent=N reply=N kind=K uid-echoed=yes|no cookies=N origin-ok=yes|no

sent and reply are byte counts (reply=0: nothing within the timeout); kind
is none, plain, nts (the authenticator verified under S2C), nak or
bad-seal; cookies counts the new cookies inside it; origin-ok says the
reply's origin is the request's transmit time. With --mode or --version
(the request's header) the line ends with the reply's version=N mode=N.
--nonce-len, --extra-pad (Additional Padding after the ciphertext) and
--enc-placeholders (Cookie Placeholders inside the encrypted fields,
of --enc-placeholder-len bytes) shape the authenticator (RFC 8915 §5.6-7).

AES-SIV-CMAC-256 is python3-cryptography's AESSIV, written apart from
sockclock's Nettle code, so an answer that verifies here is interoperable.
"""
import argparse, os, socket, struct, sys, time
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

UID, COOKIE, PLACEHOLDER, AUTH = 0x0104, 0x0204, 0x0304, 0x0404
CLASSES = ["good", "unknown", "plain", "bad-auth", "bad-cookie", "len-odd",
           "len-short", "past-end", "two-cookies", "placeholder-len",
           "auth-not-last", "no-uid", "no-cookie", "no-auth", "short-uid",
           "short-nonce", "two-uids", "unknown-last"]


def ef(t, body, pad_to=None):
    body = body + b"\0" * (-len(body) % 4)
    n = 4 + len(body)
    return struct.pack("!HH", t, n) + body


def header(xmt, version=4, mode=3):
    # LI 0; the transmit timestamp as a client sets it.
    return struct.pack("!BBbbII4sQQQQ", version << 3 | mode, 0, 6, -20, 0,
                       0, b"\0" * 4, 0, 0, 0, xmt)


def auth_field(c2s, ad, nonce, plain=b"", extra_pad=0):
    # OpenSSL 3.0's AES-SIV cannot seal an empty plaintext: carry one
    # encrypted field of an unknown type, which the server must ignore.
    plain = ef(0x7778, b"\0" * 12) + plain
    ct = AESSIV(c2s).encrypt(plain, [ad, nonce])
    body = struct.pack("!HH", len(nonce), len(ct)) + nonce + \
        b"\0" * (-len(nonce) % 4) + ct + b"\0" * (-len(ct) % 4) + \
        b"\0" * extra_pad
    return ef(AUTH, body)


def build(cls, cookie, c2s, placeholders, uid, xmt, opt):
    pkt = header(xmt, opt.version, opt.mode)
    if cls == "plain":
        return pkt
    fields = []
    if cls not in ("no-uid",):
        fields.append(ef(UID, uid[:16] if cls == "short-uid" else uid))
    if cls == "two-uids":
        fields.append(ef(UID, os.urandom(32)))
    if cls == "unknown":
        fields.append(ef(0x7777, b"\x55" * 12))
    ck = bytearray(cookie)
    if cls == "bad-cookie":
        ck[-1] ^= 1
    if cls != "no-cookie":
        fields.append(ef(COOKIE, bytes(ck)))
    if cls == "two-cookies":
        fields.append(ef(COOKIE, bytes(ck)))
    for i in range(placeholders):
        n = len(cookie) - (4 if cls == "placeholder-len" and i == 0 else 0)
        fields.append(ef(PLACEHOLDER, b"\0" * n))
    pkt += b"".join(fields)
    if cls == "len-odd":
        return pkt + struct.pack("!HH", 0x7777, 18) + b"\0" * 16
    if cls == "len-short":
        return pkt + struct.pack("!HH", PLACEHOLDER, 12) + b"\0" * 8
    if cls == "no-auth":
        return pkt
    nonce = os.urandom(8 if cls == "short-nonce" else opt.nonce_len)
    inner = ef(PLACEHOLDER, b"\0" * (opt.enc_placeholder_len or len(cookie)))
    a = bytearray(auth_field(c2s, pkt, nonce, inner * opt.enc_placeholders,
                             0 if cls == "short-nonce" else opt.extra_pad))
    if cls == "bad-auth":
        a[-1] ^= 1
    pkt += bytes(a)
    if cls == "past-end":
        # The authenticator's length says 8 bytes more than there are.
        n = struct.unpack("!H", pkt[len(pkt) - len(a) + 2:][:2])[0]
        i = len(pkt) - len(a)
        pkt = pkt[:i + 2] + struct.pack("!H", n + 8) + pkt[i + 4:]
    if cls == "auth-not-last":
        pkt += ef(UID, uid)
    if cls == "unknown-last":
        pkt += ef(0x5600, b"\0" * 96)
    return pkt


def fields(pkt):
    out, p = [], 48
    while p + 4 <= len(pkt):
        t, n = struct.unpack("!HH", pkt[p:p + 4])
        if n < 16 or n % 4 or p + n > len(pkt):
            break
        out.append((t, p, pkt[p + 4:p + n]))
        p += n
    return out


def inspect(req, reply, s2c, uid):
    r = {"reply": len(reply), "kind": "none", "uid-echoed": "no",
         "cookies": 0, "origin-ok": "no"}
    if not reply:
        return r
    li_vn_mode, stratum = reply[0], reply[1]
    refid = reply[12:16]
    r["origin-ok"] = "yes" if reply[24:32] == req[40:48] else "no"
    efs = fields(reply)
    if any(t == UID and b == uid for t, _, b in efs):
        r["uid-echoed"] = "yes"
    if stratum == 0 and li_vn_mode >> 6 == 3 and refid == b"NTSN":
        r["kind"] = "nak"
        return r
    if len(reply) == 48:
        r["kind"] = "plain"
        return r
    for t, off, body in efs:
        if t != AUTH:
            continue
        nl, cl = struct.unpack("!HH", body[:4])
        nonce = body[4:4 + nl]
        c0 = 4 + nl + (-nl % 4)
        ct = body[c0:c0 + cl]
        try:
            plain = AESSIV(s2c).decrypt(ct, [reply[:off], nonce])
        except Exception:
            r["kind"] = "bad-seal"
            return r
        r["kind"] = "nts"
        inner = fields(b"\0" * 48 + plain)
        cks = [b for t2, _, b in inner if t2 == COOKIE]
        r["cookies"] = len(cks)
        if cks:
            r["cookie"] = cks[0].hex()
    return r


def line(cls, req, r):
    return " ".join([cls, f"sent={len(req)}"] +
                    [f"{k}={v}" for k, v in r.items() if k != "cookie"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--class", dest="cls", default="good",
                    help="one or more (comma-separated) of: " + " ".join(CLASSES))
    ap.add_argument("--cookie", required=True)
    ap.add_argument("--c2s", required=True)
    ap.add_argument("--s2c", required=True)
    ap.add_argument("--placeholders", type=int, default=0)
    ap.add_argument("--uid-len", type=int, default=32)
    ap.add_argument("--mode", type=int)
    ap.add_argument("--version", type=int)
    ap.add_argument("--nonce-len", type=int, default=16)
    ap.add_argument("--extra-pad", type=int, default=0)
    ap.add_argument("--enc-placeholders", type=int, default=0)
    ap.add_argument("--enc-placeholder-len", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--new-cookie", help="write the first new cookie (hex) here")
    ap.add_argument("--write-request", help="write the request here, send nothing")
    ap.add_argument("--reply-file", help="read the reply from here, send nothing")
    ap.add_argument("--uid", help="the Unique Identifier (hex), with --reply-file")
    ap.add_argument("--request-file", help="the request sent, with --reply-file")
    a = ap.parse_args()
    show_mode = a.mode is not None or a.version is not None
    a.mode = 3 if a.mode is None else a.mode
    a.version = 4 if a.version is None else a.version
    cookie, c2s, s2c = (bytes.fromhex(x) for x in (a.cookie, a.c2s, a.s2c))
    if a.reply_file:
        req = open(a.request_file, "rb").read()
        r = inspect(req, open(a.reply_file, "rb").read(), s2c,
                    bytes.fromhex(a.uid))
        print(line("reply", req, r))
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    earlier = set()  # transmit timestamps of the requests sent before
    for cls in a.cls.split(","):
        if cls not in CLASSES:
            sys.exit(f"unknown class {cls}")
        uid = os.urandom(a.uid_len)
        xmt = int((time.time() + 2208988800) * 2**32) & (2**64 - 1)
        req = build(cls, cookie, c2s, a.placeholders, uid, xmt, a)
        if a.write_request:
            open(a.write_request, "wb").write(req)
            print("uid", uid.hex())
            return
        s.sendto(req, (a.host, a.port))
        # A reply to an earlier request that came after its timeout (a
        # loaded machine, a sanitizer build) is not this one's: skip it.
        end = time.monotonic() + a.timeout
        reply = b""
        while time.monotonic() < end:
            s.settimeout(max(end - time.monotonic(), 0.001))
            try:
                reply = s.recv(4096)
            except socket.timeout:
                reply = b""
                break
            if reply[24:32] not in earlier:
                break
            reply = b""
        earlier.add(req[40:48])
        r = inspect(req, reply, s2c, uid)
        if a.new_cookie and "cookie" in r:
            open(a.new_cookie, "w").write(r["cookie"] + "\n")
        out = line(cls, req, r)
        if show_mode and reply:
            out += f" version={reply[0] >> 3 & 7} mode={reply[0] & 7}"
        print(out, flush=True)


if __name__ == "__main__":
    main()
