#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""nts_pair: one NTS request to HOST1 with COOKIE, then at once (the
same process, milliseconds later) one to HOST2 with the first new
cookie HOST1 sent: for root/netns-fleet.bats, where the two hosts' clocks
differ and the second must open the first's cookie before a period
turns. Requests are built and replies checked by nts_client.py.
Prints, for each host, its nts_client line then "id=" the key id (hex)
of the first new cookie it sent.
Usage: nts_pair.py HOST1 HOST2 PORT COOKIE C2S S2C"""
import os
import socket
import sys
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nts_client  # noqa: E402


def ask(s, host, port, cookie, c2s, s2c):
    opt = SimpleNamespace(version=4, mode=3, nonce_len=16, extra_pad=0,
                          enc_placeholders=0, enc_placeholder_len=0)
    uid = os.urandom(32)
    xmt = int((time.time() + 2208988800) * 2**32) & (2**64 - 1)
    req = nts_client.build("good", cookie, c2s, 0, uid, xmt, opt)
    s.sendto(req, (host, port))
    s.settimeout(2.0)
    try:
        reply = s.recv(4096)
    except socket.timeout:
        reply = b""
    r = nts_client.inspect(req, reply, s2c, uid)
    print(nts_client.line("good", req, r), "id=" + r.get("cookie", "")[:8],
          flush=True)
    return r.get("cookie")


def main():
    h1, h2, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cookie, c2s, s2c = (bytes.fromhex(x) for x in sys.argv[4:7])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    new = ask(s, h1, port, cookie, c2s, s2c)
    if new:
        ask(s, h2, port, bytes.fromhex(new), c2s, s2c)


if __name__ == "__main__":
    main()
