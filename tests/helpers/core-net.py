# SPDX-License-Identifier: ISC
"""Clients for the core suites: what socat and ntp.py cannot do.

Usage: core-net.py COMMAND ARGS (run with /usr/bin/python3)
  many-tcp PORT N          N clients connect at once, each reads one line
                           to EOF; prints "good=G bad=B", exit 1 if B > 0
  send-first PORT BYTES    send BYTES of data, then read to EOF; prints the
                           reply (repr) and exits 1 on a reset or no line
  silent PORT              connect, print "connected", never read or close
  flood PORT               connect, send without end; prints "cut after S"
                           once the server has ended the connection
  udp PORT [--host H] [--src-host A] [--src-port P] [--hex HEX] [--timeout S]
                           send one datagram (default: one byte), write the
                           reply's bytes to stdout, or "no reply" (exit 1)
  pair PORT HEX            send HEX, then a good v4 client request from the
                           same socket; the first reply must be the good
                           one's (origin = its transmit) and no other may
                           follow: prints "bad dropped, good answered"
  burst PORT COUNT HEX...  send each HEX datagram COUNT times, read nothing
  ntplib PORT VERSION [--host H]
                           one query through python3-ntplib; prints
                           "version= mode= stratum= leap= offset= delay="
  kernel-clock             "synchronized" or "unsynchronized" (adjtimex),
                           then the leap state: none, insert or delete
  inetd-wait N PROG ARGS   inetd `wait` for UDP: N NTP client requests are
                           queued on a bound socket that becomes PROG's
                           standard input; prints "exit= replies= seconds="
"""
import os, socket, struct, subprocess, sys, threading, time

NTP_UNIX = 2208988800
LINE_OK = lambda b: (b.endswith(b"\r\n") and b.count(b"\n") == 1 and
                     all(32 <= c < 127 for c in b[:-2]) and len(b) > 2)


def client_request():
    now = time.time()
    return struct.pack("!B47x", 0x23)[:40] + struct.pack(
        "!II", int(now) + NTP_UNIX, int((now % 1) * 2**32))


def read_all(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def many_tcp(port, n):
    n = int(n)
    results = [None] * n
    go = threading.Barrier(n)
    # A client gives up after 10 s without a byte while no other client
    # has ended either: a stall. Under --accept each connection waits
    # for its own process to start, one after another: on a busy host
    # 50 starts of a sanitizer build take longer than 10 s in all, while
    # every one of them is progress.
    progress = [time.monotonic()]

    def read_progressing(s):
        out, last = b"", time.monotonic()
        s.settimeout(0.5)
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                if time.monotonic() - max(last, progress[0]) > 10:
                    raise
                continue
            if not b:
                return out
            out += b
            last = time.monotonic()

    def one(i):
        try:
            go.wait(10)
            with socket.create_connection(("127.0.0.1", int(port)), 10) as s:
                results[i] = read_progressing(s)
            progress[0] = time.monotonic()
        except Exception as e:  # reported as a bad line below
            results[i] = repr(e).encode()

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    bad = [r for r in results if not LINE_OK(r)]
    print("good=%d bad=%d" % (n - len(bad), len(bad)))
    for r in bad[:5]:
        print("bad:", r)
    return 1 if bad else 0


def send_first(port, nbytes):
    s = socket.create_connection(("127.0.0.1", int(port)), 10)
    s.settimeout(10)
    s.sendall(b"x" * int(nbytes))
    try:
        got = read_all(s)
    except ConnectionResetError:
        print("reset by the server")
        return 1
    print(repr(got))
    return 0 if LINE_OK(got) else 1


def silent(port):
    s = socket.create_connection(("127.0.0.1", int(port)), 10)
    print("connected", flush=True)
    time.sleep(300)
    s.close()


def flood(port):
    s = socket.create_connection(("127.0.0.1", int(port)), 10)
    t0 = time.monotonic()
    s.settimeout(60)
    chunk = b"y" * 4096
    try:
        while time.monotonic() - t0 < 60:
            s.send(chunk)
    except OSError as e:
        print("cut after %.2f (%s)" % (time.monotonic() - t0, e.strerror))
        return 0
    print("never cut")
    return 1


def udp(port, argv):
    host, src, data, timeout = "127.0.0.1", 0, b"x", 2.0
    src_host = None
    while argv:
        k, v = argv.pop(0), argv.pop(0)
        if k == "--host":
            host = v
        elif k == "--src-host":
            src_host = v
        elif k == "--src-port":
            src = int(v)
        elif k == "--hex":
            data = bytes.fromhex(v)
        elif k == "--timeout":
            timeout = float(v)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src_host or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), src))
    s.settimeout(timeout)
    s.sendto(data, (host, int(port)))
    try:
        b, _ = s.recvfrom(4096)
    except socket.timeout:
        print("no reply")
        return 1
    sys.stdout.buffer.write(b)
    return 0


def pair(port, bad_hex):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    good = client_request()
    s.sendto(bytes.fromhex(bad_hex), ("127.0.0.1", int(port)))
    s.sendto(good, ("127.0.0.1", int(port)))
    try:
        first, _ = s.recvfrom(4096)
    except socket.timeout:
        print("no reply to the good request")
        return 1
    if len(first) != 48 or first[24:32] != good[40:48]:
        print("the bad packet was answered:", first.hex())
        return 1
    s.settimeout(0.05)
    try:
        extra, _ = s.recvfrom(4096)
        print("an extra reply:", extra.hex())
        return 1
    except socket.timeout:
        pass
    print("bad dropped, good answered")
    return 0


def burst(port, count, hexes):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(int(count)):
        for h in hexes:
            s.sendto(bytes.fromhex(h), ("127.0.0.1", int(port)))
    return 0


def query_ntplib(port, version, argv):
    import ntplib
    host = argv[1] if argv[:1] == ["--host"] else "127.0.0.1"
    r = ntplib.NTPClient().request(host, version=int(version),
                                   port=int(port), timeout=3)
    print("version=%d mode=%d stratum=%d leap=%d offset=%.9f delay=%.9f" %
          (r.version, r.mode, r.stratum, r.leap, r.offset, r.delay))
    return 0


def inetd_wait(n, prog):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cli.bind(("127.0.0.1", 0))
    for _ in range(int(n)):
        cli.sendto(client_request(), srv.getsockname())
    t0 = time.monotonic()
    p = subprocess.Popen(prog, stdin=srv.fileno(), stdout=subprocess.DEVNULL)
    srv.close()
    rc = p.wait(20)
    took = time.monotonic() - t0
    cli.settimeout(0.5)
    got = 0
    try:
        while True:
            cli.recvfrom(4096)
            got += 1
    except socket.timeout:
        pass
    print("exit=%d replies=%d seconds=%.2f" % (rc, got, took))
    return 0


def kernel_clock():
    import ctypes
    buf = ctypes.create_string_buffer(512)  # struct timex, modes = 0
    r = ctypes.CDLL(None, use_errno=True).adjtimex(buf)
    if r < 0:
        return 1
    print("unsynchronized" if r == 5 else "synchronized",
          {1: "insert", 2: "delete"}.get(r, "none"))
    return 0


def main(a):
    cmd = a.pop(0)
    if cmd == "many-tcp":
        return many_tcp(*a)
    if cmd == "send-first":
        return send_first(*a)
    if cmd == "silent":
        return silent(*a)
    if cmd == "flood":
        return flood(*a)
    if cmd == "udp":
        return udp(a[0], a[1:])
    if cmd == "pair":
        return pair(*a)
    if cmd == "burst":
        return burst(a[0], a[1], a[2:])
    if cmd == "ntplib":
        return query_ntplib(a[0], a[1], a[2:])
    if cmd == "kernel-clock":
        return kernel_clock()
    if cmd == "inetd-wait":
        return inetd_wait(a[0], a[1:])
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
