# SPDX-License-Identifier: ISC
# tcp_burst HOST PORT N [SOURCE]: N Daytime connections over TCP as fast
# as one client can open them (all in flight at once, non-blocking), each
# read to the end, from the local address SOURCE if given (one source for
# a server's per-source limits). Prints one line of counts:
#   line=A closed=B refused=C partial=D hung=E unconnected=F other=G
# line: a whole CRLF-terminated line then EOF; closed: EOF with nothing
# (a superserver over its limits); refused: ECONNREFUSED or a reset before
# any byte; partial: bytes without a whole line (must never happen);
# hung: connected, but neither a byte nor EOF within BURST_HUNG_S (default
# 15 s) while no other connection got anywhere either (a busy host's
# slow but steady server is not a hang; must never happen unless said); unconnected: the handshake not
# done within 30 s (a full listen queue drops SYNs; the kernel's retries
# back off: 1, 3, 7, 15, 31 s).
# For a test that works alongside the burst, two files (both optional):
# BURST_READY: created once all N connections have been started, so the
# test starts its own work while the burst is on, however slowly this
# process got going. BURST_RELEASE: the burst does not end before this
# file exists; till then a connection silent for BURST_HUNG_S stays open
# (it is counted hung once the file exists), so the burst lasts as long
# as the test's work, however slow. A test that fails must create it
# too (in teardown); ten minutes without it end the burst anyway.
# Uses $PY.
tcp_burst() {
	$PY - "$@" <<'PY'
import errno, os, resource, selectors, socket, struct, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
source = sys.argv[4] if len(sys.argv) > 4 else None
# Connected and never answered for this long: hung (BURST_HUNG_S).
HUNG_S = float(os.environ.get("BURST_HUNG_S", "15"))
READY = os.environ.get("BURST_READY")
RELEASE = os.environ.get("BURST_RELEASE")
t_start = time.monotonic()
released = lambda: (not RELEASE or os.path.exists(RELEASE) or
                    time.monotonic() - t_start > 600)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, n + 64)), hard))
window = min(n, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64)
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
sel = selectors.DefaultSelector()
counts = dict(line=0, closed=0, refused=0, partial=0, hung=0, unconnected=0, other=0)
started = 0
open_ = {}
progress = time.monotonic()  # when any connection last got a byte or an end

def finish(s, what):
    global progress
    counts[what] += 1
    if what != "hung":
        progress = time.monotonic()
    sel.unregister(s)
    del open_[s]
    if what == "hung":
        # Aborted (RST), not closed: behind a full accept queue the
        # server answered the handshake with a SYN cookie and kept
        # nothing; a FIN would carry that cookie back and make the
        # server accept the connection now, hundreds at once, long after
        # the burst (seen: xinetd's queue full again a second later).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()

def start():
    global started
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setblocking(False)
    started += 1
    if source:
        # The port is chosen at connect time, not at bind: no shortage.
        s.setsockopt(socket.IPPROTO_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
        s.bind((source, 0))
    e = s.connect_ex((host, port))
    if e not in (0, errno.EINPROGRESS):
        counts["refused" if e == errno.ECONNREFUSED else "other"] += 1
        s.close()
        return
    open_[s] = [b"", time.monotonic(), False]
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)

ready = False
rel = released()
while started < n or open_ or not rel:
    while started < n and len(open_) < window:
        start()
    if READY and not ready and started == n:
        open(READY, "w").close()
        ready = True
    for key, ev in sel.select(timeout=0.2):
        s = key.fileobj
        if not open_[s][2]:
            e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if e:
                finish(s, "refused" if e in (errno.ECONNREFUSED, errno.ECONNRESET) else "other")
                continue
            open_[s][1:] = [time.monotonic(), True]
            sel.modify(s, selectors.EVENT_READ)
            if not ev & selectors.EVENT_READ:
                continue
        try:
            data = s.recv(4096)
        except OSError as e:
            if open_[s][0]:
                finish(s, "partial")
            else:
                finish(s, "refused" if e.errno in (errno.ECONNREFUSED, errno.ECONNRESET) else "other")
            continue
        if data:
            open_[s][0] += data
            progress = time.monotonic()
            continue
        buf = open_[s][0]
        if not buf:
            finish(s, "closed")
        elif buf.endswith(b"\r\n") and buf.count(b"\n") == 1:
            finish(s, "line")
        else:
            finish(s, "partial")
    now = time.monotonic()
    rel = released()
    for s, (buf, t0, connected) in list(open_.items()):
        if connected and now - t0 > HUNG_S and now - progress > HUNG_S and rel:
            finish(s, "hung")
        elif not connected and now - t0 > 30:
            finish(s, "unconnected")
print(" ".join(f"{k}={v}" for k, v in counts.items()))
PY
}

# assert_burst "COUNTS" N MIN: every one of the N connections got a
# whole line, a clean close or a refusal (or was still unconnected:
# reported only); never a partial line, a hang or anything else; and at
# least MIN whole lines (as many as the unit lets one source hold).
assert_burst() {
	local output=$1
	[[ $output =~ line=([0-9]+)\ closed=([0-9]+)\ refused=([0-9]+)\ partial=([0-9]+)\ hung=([0-9]+)\ unconnected=([0-9]+)\ other=([0-9]+) ]] ||
		fail "no counts: $output"
	((BASH_REMATCH[1] >= ${3:-1})) || fail "${BASH_REMATCH[1]} lines, fewer than ${3:-1}: $output"
	assert_equal "${BASH_REMATCH[4]}" 0 # partial
	assert_equal "${BASH_REMATCH[5]}" 0 # hung
	assert_equal "${BASH_REMATCH[7]}" 0 # other
	# unconnected (SYNs dropped by a full listen queue) is reported only.
	assert_equal $((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[6])) "$2"
}
