#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Load and hostile clients: TCP storms through systemd and
# xinetd, slow and endless clients, SIGTERM in mid-stream, a UDP flood
# beside a well-behaved client, and the amplification check.
# Scale for slow builds: LOAD_CONNECTIONS (default 500), FLOOD_SECONDS
# (default 6). Figures are printed to fd 3 (bats shows them with
# --show-output-of-passing-tests, the runner log keeps them).

load helpers/common
load helpers/xinetd-conf

HELPERS="$TOP/tests/helpers"
CONNECTIONS=${LOAD_CONNECTIONS:-500}
FLOOD_S=${FLOOD_SECONDS:-6}

setup_file() {
	cc -O2 -Wall -Wextra -Werror -o "$BATS_FILE_TMPDIR/udp_flood" \
		"$TOP/tests/helpers/udp_flood.c"
}

teardown() {
	stop_servers
	if [ -n "${XINETD_PID:-}" ]; then
		kill "$XINETD_PID" 2>/dev/null || true
		wait "$XINETD_PID" 2>/dev/null || true
	fi
}

# Sanitizer settings reach the program through systemd-socket-activate,
# which passes on only the variables it is told to.
san_env() {
	local v
	for v in ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -n "${!v:-}" ] && printf -- '-E\n%s\n' "$v"
	done
	return 0
}

figure() {
	echo "# $BATS_TEST_DESCRIPTION: $*" >&3
}

# Children of pid (the programs a superserver spawned).
children() {
	local n
	n=$(pgrep -c -P "$1" || true)
	echo "${n:-0}"
}

# field NAME "k=v k=v ...": the value of k.
field() {
	tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

storm_ok() {
	# $output: the storm's summary line, then examples of bad answers.
	local sum complete refused
	sum=$(head -n1 <<<"$output")
	figure "$sum"
	complete=$(field complete "$sum")
	refused=$(( $(field refused "$sum") + $(field empty "$sum") ))
	[ "$(field partial "$sum")" = 0 ] || { echo "$output"; return 1; }
	[ "$(field hang "$sum")" = 0 ] || { echo "$output"; return 1; }
	[ $((complete + refused)) = "$CONNECTIONS" ]
	# Refusals (refused, or closed without a byte) are allowed, a storm
	# of them is not: the limits here are set far above the load.
	[ "$complete" -ge $((CONNECTIONS * 9 / 10)) ]
}

@test "tcp storm: $CONNECTIONS connections, 50 clients, systemd-socket-activate --accept" {
	port=$(free_port tcp)
	mapfile -t env < <(san_env)
	activate "$port" --accept "${env[@]}" -- "$BIN/daytime-tcp" --io-timeout=3
	run $PY "$HELPERS/tcp_storm.py" "$port" --count "$CONNECTIONS" --clients 50 --timeout 10
	assert_success
	storm_ok
}

@test "tcp storm: $CONNECTIONS connections, 50 clients, xinetd nowait" {
	port=$(free_port tcp)
	conf="$BATS_TEST_TMPDIR/xinetd.conf"
	{
		printf 'defaults\n{\n}\n'
		xinetd_service sockclock-daytime-load stream "$port" \
			id=sockclock-daytime-load "user=$(id -un)" server="$BIN/daytime-tcp" \
			server_args=--io-timeout=3 "cps=100000 1" instances=UNLIMITED \
			per_source=UNLIMITED "passenv=ASAN_OPTIONS UBSAN_OPTIONS" \
			log_on_failure= log_on_success=
	} >"$conf"
	xinetd -dontfork -f "$conf" -pidfile "$BATS_TEST_TMPDIR/xinetd.pid" \
		>"$BATS_TEST_TMPDIR/xinetd.log" 2>&1 &
	XINETD_PID=$!
	wait_listening "$port"
	run $PY "$HELPERS/tcp_storm.py" "$port" --count "$CONNECTIONS" --clients 50 --timeout 10
	assert_success
	storm_ok
}

@test "tcp storm: $CONNECTIONS connections, 50 clients, one listening daytime-tcp (Accept=no)" {
	port=$(free_port tcp)
	mapfile -t env < <(san_env)
	# One source, as xinetd's per_source=UNLIMITED above: no limit.
	activate "$port" "${env[@]}" -- "$BIN/daytime-tcp" --io-timeout=3 --idle-timeout=5 \
		--max-per-source=0
	run $PY "$HELPERS/tcp_storm.py" "$port" --count "$CONNECTIONS" --clients 50 --timeout 10
	assert_success
	storm_ok
}

# A client that connects and then neither reads nor closes.
@test "a client that never reads is cut off after --io-timeout and holds one process" {
	port=$(free_port tcp)
	mapfile -t env < <(san_env)
	activate "$port" --accept "${env[@]}" -- "$BIN/daytime-tcp" --io-timeout=1
	sa=${SERVER_PIDS[0]}
	$PY - "$port" >"$BATS_TEST_TMPDIR/silent.out" <<-'PY' &
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
	t0 = time.monotonic()
	time.sleep(4)                   # never read, never close
	s.settimeout(0)
	try:
	    data = s.recv(4096)
	    # The line sat in our buffer; the server's end is closed.
	    rest = s.recv(4096)
	    print("closed" if rest == b"" else "open", len(data))
	except BlockingIOError:
	    print("open")
	except ConnectionResetError:
	    print("closed reset")
	PY
	client=$!
	# One process for the one client, gone after --io-timeout (1 s):
	# sampled every 0.1 s for 3.5 s (generous for a loaded machine).
	local seen=0 most=0 gone_at=-1 i n
	for i in $(seq 35); do
		n=$(children "$sa")
		[ "$n" -gt "$most" ] && most=$n
		[ "$n" -ge 1 ] && seen=1
		if [ "$seen" = 1 ] && [ "$n" = 0 ]; then
			gone_at=$i
			break
		fi
		sleep 0.1
	done
	wait "$client"
	figure "at most $most process(es); gone after ~${gone_at}00 ms; client saw: $(cat "$BATS_TEST_TMPDIR/silent.out")"
	[ "$seen" = 1 ] && [ "$most" = 1 ]
	[ "$gone_at" -gt 0 ]
	grep -q closed "$BATS_TEST_TMPDIR/silent.out"
}

# A client that sends without end and never reads.
@test "a client that sends without end is cut off after --io-timeout" {
	port=$(free_port tcp)
	mapfile -t env < <(san_env)
	activate "$port" --accept "${env[@]}" -- "$BIN/daytime-tcp" --io-timeout=1
	sa=${SERVER_PIDS[0]}
	run $PY - "$port" <<-'PY'
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	s.settimeout(10)
	t0 = time.monotonic()
	chunk = b"x" * 65536
	sent = 0
	try:
	    while time.monotonic() - t0 < 10:
	        sent += s.send(chunk)
	    print("still open after 10 s")
	except (BrokenPipeError, ConnectionResetError) as e:
	    print(f"cut off after {time.monotonic() - t0:.2f} s, {sent} bytes sent")
	except socket.timeout:
	    print("send blocked 10 s")
	PY
	figure "$output"
	assert_success
	assert_output --partial "cut off after"
	secs=$(sed -n 's/cut off after \([0-9.]*\) s.*/\1/p' <<<"$output")
	# --io-timeout=1 (the drain is at most that): generous bound.
	awk -v s="$secs" 'BEGIN { exit !(s < 4) }'
	# The handler then exits: waited for (5 s by the clock at most: pgrep
	# itself is slow on a busy host), not a fixed 0.3 s.
	local end=$((SECONDS + 5))
	while [ "$(children "$sa")" != 0 ] && ((SECONDS < end)); do
		sleep 0.1
	done
	[ "$(children "$sa")" = 0 ]
}

@test "a listening daytime-tcp serves others while a client sends without end" {
	port=$(free_port tcp)
	mapfile -t env < <(san_env)
	activate "$port" "${env[@]}" -- "$BIN/daytime-tcp" --io-timeout=2 --idle-timeout=3
	$PY - "$port" <<-'PY' &
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
	t0 = time.monotonic()
	try:
	    while time.monotonic() - t0 < 4:
	        s.send(b"y" * 65536)
	except OSError:
	    pass
	PY
	hog=$!
	sleep 0.3
	run $PY "$HELPERS/tcp_storm.py" "$port" --count 20 --clients 4 --timeout 1.5
	wait "$hog" || true
	figure "$(head -n1 <<<"$output")"
	assert_output --partial "complete=20 "
}

@test "SIGTERM to sntp-udp in mid-stream: prompt exit, every reply whole" {
	port=$(free_port udp)
	mapfile -t env < <(san_env)
	activate "$port" --datagram "${env[@]}" -- "$BIN/sntp-udp" --rate-limit=0
	run $PY "$HELPERS/sigterm_stream.py" "$port" "${SERVER_PIDS[0]}" --proto ntp
	figure "$(head -n1 <<<"$output")"
	assert_success
	assert_output --partial "bad=0 "
	ans=$(field answers "$(head -n1 <<<"$output")")
	[ "$ans" -gt 10 ]
	secs=$(field exit_seconds "$(head -n1 <<<"$output")")
	awk -v s="$secs" 'BEGIN { exit !(s >= 0 && s < 1) }'
}

@test "SIGTERM to daytime-udp in mid-stream: prompt exit, every reply whole" {
	port=$(free_port udp)
	mapfile -t env < <(san_env)
	activate "$port" --datagram "${env[@]}" -- "$BIN/daytime-udp" --rate-limit=0
	run $PY "$HELPERS/sigterm_stream.py" "$port" "${SERVER_PIDS[0]}" --proto daytime-udp
	figure "$(head -n1 <<<"$output")"
	assert_success
	assert_output --partial "bad=0 "
	[ "$(field answers "$(head -n1 <<<"$output")")" -gt 10 ]
	secs=$(field exit_seconds "$(head -n1 <<<"$output")")
	awk -v s="$secs" 'BEGIN { exit !(s >= 0 && s < 1) }'
}

@test "SIGTERM to a listening daytime-tcp in mid-stream: prompt exit, no partial line" {
	port=$(free_port tcp)
	mapfile -t env < <(san_env)
	activate "$port" "${env[@]}" -- "$BIN/daytime-tcp"
	run $PY "$HELPERS/sigterm_stream.py" "$port" "${SERVER_PIDS[0]}" --proto daytime-tcp
	figure "$(head -n1 <<<"$output")"
	assert_success
	assert_output --partial "bad=0 "
	[ "$(field answers "$(head -n1 <<<"$output")")" -gt 10 ]
	secs=$(field exit_seconds "$(head -n1 <<<"$output")")
	awk -v s="$secs" 'BEGIN { exit !(s >= 0 && s < 1) }'
}

# flood PROGRAM PROTO [ARGS...]: FLOOD_S seconds of the fastest sender
# from 127.0.0.2 against PROGRAM, a good client from 127.0.0.1 beside
# it, RSS of the server sampled every second. Sets share, rss_growth_kb.
flood() {
	local prog=$1 proto=$2
	shift 2
	port=$(free_port udp)
	mapfile -t env < <(san_env)
	activate "$port" --datagram "${env[@]}" -- "$BIN/$prog" --idle-timeout=1 "$@"
	local pid=${SERVER_PIDS[0]}
	$PY "$HELPERS/good_client.py" "$port" --proto "$proto" --seconds "$FLOOD_S" \
		--interval "${GOOD_INTERVAL:-0.1}" --src 127.0.0.1 >"$BATS_TEST_TMPDIR/good.out" &
	local good=$!
	"$BATS_FILE_TMPDIR/udp_flood" "$port" "$FLOOD_S" 50000000 127.0.0.2 \
		>"$BATS_TEST_TMPDIR/flood.out" &
	local flooder=$!
	local rss=() i
	for i in $(seq "$FLOOD_S"); do
		sleep 1
		# Only while the flood is on: on a busy host this loop outlasts
		# it, and a sample after it may catch the program's idle exit
		# (LeakSanitizer's scan: 3 MB more under ASan).
		kill -0 "$flooder" 2>/dev/null || break
		rss+=("$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null)")
	done
	wait "$flooder"
	wait "$good"
	local g f
	g=$(cat "$BATS_TEST_TMPDIR/good.out")
	f=$(cat "$BATS_TEST_TMPDIR/flood.out")
	# Growth from the first sample (the flood under way) to the largest.
	rss_growth_kb=$(printf '%s\n' "${rss[@]}" | awk 'NF { if (n++ == 0) f = $1; if ($1 > m) m = $1 } END { print m - f }')
	share=$(field share "$g")
	good_out=$g
	figure "$prog $*: flood $f; good client $g; VmRSS kB ${rss[*]}"
	[ "$(field bad "$g")" = 0 ]
	[ -n "${rss[0]}" ]
	# Idle: the program exits by itself, cleanly, once the flood stops.
	local t
	for t in $(seq 50); do
		kill -0 "$pid" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
		sleep 0.1
	done
	run wait "$pid"
	assert_success
	SERVER_PIDS=()
}

@test "udp flood on sntp-udp: a good client from another source keeps being answered" {
	flood sntp-udp ntp --rate-limit=20 --rate-burst=32
	awk -v s="$share" 'BEGIN { exit !(s >= 0.5) }'
	[ "$rss_growth_kb" -lt 1024 ]
}

@test "udp flood on daytime-udp: a good client from another source keeps being answered" {
	flood daytime-udp daytime --rate-limit=20 --rate-burst=32
	awk -v s="$share" 'BEGIN { exit !(s >= 0.5) }'
	[ "$rss_growth_kb" -lt 1024 ]
}

@test "udp flood on sntp-udp without a rate limit: memory flat, good client still answered" {
	FLOOD_S=$(( (FLOOD_S + 1) / 2 ))
	GOOD_INTERVAL=0.02 flood sntp-udp ntp --rate-limit=0
	# Without a limit the good client competes with the flood for room in
	# the socket buffer, so its share depends on how fast this machine
	# drains it (0.13 to 0.5 seen, lowest under ASan on a loaded host):
	# the share is reported; what must hold is that it is still answered.
	[ "$(field answered "$good_out")" -ge 1 ]
	[ "$rss_growth_kb" -lt 1024 ]
}

# amplify PROGRAM ARGS... -- AMPLIFY-ARGS...: PROGRAM under
# systemd-socket-activate --datagram on a free port, then amplify.py
# against it with AMPLIFY-ARGS; asserts it succeeded ($output: its lines).
amplify() {
	local prog=() port env
	while [ "$1" != -- ]; do prog+=("$1"); shift; done
	shift
	port=$(free_port udp)
	mapfile -t env < <(san_env)
	activate "$port" --datagram "${env[@]}" -- "${prog[@]}"
	run $PY "$HELPERS/amplify.py" "$port" "$@"
	assert_success
}

# no_class CONDITION LABEL: no class line of amplify.py's $output meets the
# awk CONDITION over s[2] (bytes sent), r[2] (received back), k[2]
# (replies) and m[2] (longest reply); each one that does is printed
# after LABEL.
no_class() {
	run awk -v label="$2" '$1 != "total" && $2 ~ /^sent=/ {
		split($2, s, "="); split($3, r, "="); split($4, k, "="); split($5, m, "=");
		if ('"$1"') { print label, $0; bad = 1 } }
		END { exit bad }' <<<"$output"
	assert_success
}

amplify_ok() {
	figure "$(tail -n1 <<<"$output")"
	# Every class: bytes received back never exceed the bytes sent.
	no_class 'r[2] + 0 > s[2] + 0' amplified:
}

@test "amplification: sntp-udp never sends more bytes than it received, any class" {
	amplify "$BIN/sntp-udp" --rate-limit=0 -- --copies 2
	# The answered classes really were answered (v1-4, modes 1 and 3).
	assert_line --regexp '^v4m3l48 sent=96 received=96 replies=2 maxlen=48$'
	assert_line --regexp '^v1m0l1024 sent=2048 received=96 '
	assert_line --regexp '^v4m7l48 sent=96 received=0 '
	amplify_ok
}

@test "amplification: sntp-udp over its rate limit (kiss-o'-death) never amplifies" {
	# Every class from one address: the limit is hit after 4 requests;
	# 6 valid requests lead, so that the 5th draws the kiss-o'-death.
	amplify "$BIN/sntp-udp" --rate-limit=1 --rate-burst=4 -- --copies 3 --lead 6
	assert_line --regexp '^lead sent=288 received=240 replies=5 maxlen=48$'
	amplify_ok
}

@test "amplification: daytime-udp answers one line per datagram (reported ratio)" {
	amplify "$BIN/daytime-udp" --rate-limit=0 -- --copies 2
	figure "$(tail -n1 <<<"$output")"
	figure "1-byte request: $(grep '^len1 ' <<<"$output")"
	# RFC 867: one line (at most 160 bytes) per datagram, never more.
	no_class 'k[2] > 2 || m[2] > 160' "too much:"
}
