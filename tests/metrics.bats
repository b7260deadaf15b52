#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# --stats=prometheus (issue 24, item 1): after real traffic through
# systemd-socket-activate, each program's Prometheus text parses with
# python3-prometheus-client's parser and every value equals its plain
# --stats line (tests/helpers/metrics_check.py): sntp-udp with drops by
# rule, NTS replies, NAKs and a cookie under an unknown key; daytime-udp;
# nts-ke-tcp, which counts across activations (--accept and listening)
# exchanges, cookies and every refusal rule. The NTS key's fingerprint
# is checked against SHA-256 computed here from the key file.

load helpers/common
load helpers/core-lib
load helpers/ntske
load helpers/hold

setup_file() {
	ntske_setup_file
	cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/common" \
		-o "$BATS_FILE_TMPDIR/ntstool" "$TOP/tests/helpers/ntstool.c" \
		"$TOP/common/proto/cookiekeys.c" "$TOP/common/sys/cookiekeyfile.c" "$TOP/common/sys/fullio.c" \
		"$TOP/common/proto/ntscookie.c" -l:libnettle.a
}

setup() {
	dir="$BATS_TEST_TMPDIR/state"
	mkdir -m 700 "$dir"
	KEYS=$BATS_TEST_TMPDIR/nts-keys
}

teardown() {
	stop_servers
	no_sanitizer_report
}

tool() {
	"$BATS_FILE_TMPDIR/ntstool" "$@"
}

# PROGRAM's two texts in $dir, compared (stats_agree, core-lib).
same_counts() {
	local prog=$1; shift
	stats_agree "$prog" "$dir" "$@"
}

stat_is() {
	grep -qx "$1: $2" <<<"$stats" || fail "want '$1: $2' in:
$stats"
}

# Wait until PROGRAM's plain line NAME reads VALUE (a process still
# ending counts last), at most 10 s.
wait_stat() {
	local i
	for i in $(seq 100); do
		"$BIN/$1" --state-dir="$dir" --stats 2>/dev/null | grep -qx "$2: $3" &&
			return 0
		sleep 0.1
	done
	fail "$1: never '$2: $3': $("$BIN/$1" --state-dir="$dir" --stats 2>&1)"
}

@test "sntp-udp --stats=prometheus: parses and equals --stats after answers, drops by rule, NTS replies, NAKs and an unknown key, over two activations" {
	tool update "$KEYS" 86400
	C2S=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	S2C=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	COOKIE=$(tool cookie "$KEYS" "$C2S" "$S2C")
	tool update "$BATS_TEST_TMPDIR/other" 86400
	OTHER=$(tool cookie "$BATS_TEST_TMPDIR/other" "$C2S" "$S2C")
	port=$(free_port udp)
	# Each round's process lives through the round's clients (no idle
	# exit between them on a loaded host), then is stopped (SIGTERM).
	for round in 1 2; do
		activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$dir" \
			--idle-timeout=60 --rate-limit=0 --nts-keys="$KEYS"
		pid=$(last_pid)
		run ntp "$port"
		assert_output --regexp '^len=48 '
		run ntp "$port" --len 40 --timeout 0.3
		assert_output "no reply"
		run $PY "$TOP/tests/helpers/nts_client.py" --port "$port" --cookie "$COOKIE" \
			--c2s "$C2S" --s2c "$S2C" --class good,bad-cookie,no-auth --timeout 0.5
		assert_line --regexp '^good .* kind=nts '
		assert_line --regexp '^bad-cookie .* kind=nak '
		assert_line --regexp '^no-auth .* reply=0 kind=none '
		run $PY "$TOP/tests/helpers/nts_client.py" --port "$port" --cookie "$OTHER" \
			--c2s "$C2S" --s2c "$S2C" --class good --timeout 0.5
		assert_line --regexp '^good .* kind=nak '
		kill -TERM "$pid"
		wait_gone "$pid" 10 || fail "sntp-udp $pid still runs"
	done
	# Over a burst of 1 from a fresh source: a kiss-o'-death.
	activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$dir" \
		--idle-timeout=1 --rate-limit=0.05 --rate-burst=1 --nts-keys="$KEYS"
	run ntp "$port" --src-host 127.0.0.3
	assert_output --regexp '^len=48 .*stratum=([0-9]|1[0-5]) '
	run ntp "$port" --src-host 127.0.0.3
	assert_output --regexp 'stratum=0 .*refid=52415445'
	wait_gone "$(last_pid)" 10 || fail "sntp-udp still runs"
	same_counts sntp-udp --key-file "$KEYS"
	stat_is processes-started 3
	stat_is requests-received 14
	stat_is nts-naks-sent 4
	stat_is authenticated-answered 2
	stat_is nts-cookies-unknown-key 2
	stat_is dropped-nts-malformed 2
	stat_is dropped-length 2
	stat_is kiss-o-death-sent 1
	grep -q '^sockclock_nts_key_info{program="sntp-udp",fingerprint="[0-9a-f]\{16\}"} 1$' \
		"$BATS_TEST_TMPDIR/prom" || fail "no key info line: $(cat "$BATS_TEST_TMPDIR/prom")"
}

@test "daytime-udp --stats=prometheus: parses and equals --stats after answers and the loop-risk rule" {
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/daytime-udp" --state-dir="$dir" --idle-timeout=60
	for i in 1 2 3; do
		run udp_line "$port"
		assert_output --regexp $'\r$'
	done
	run ntp "$port" --src-port 19 --timeout 0.3
	assert_output "no reply"
	kill -TERM "$(last_pid)"
	wait_gone "$(last_pid)" 10 || fail "daytime-udp still runs"
	same_counts daytime-udp
	stat_is requests-answered 3
	stat_is dropped-loop-risk 1
	! grep -q nts "$BATS_TEST_TMPDIR/prom" || fail "NTS metrics for daytime-udp"
}

@test "nts-ke-tcp --accept: exchanges, cookies and each refusal counted across activations; --stats=prometheus equals --stats" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --state-dir="$dir" \
		--io-timeout=1.5
	for i in 1 2; do
		run keclient "$port" --keys="$KEYS"
		assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	done
	run keclient "$port" --alpn=
	assert_failure 1
	run keclient "$port" --tls12
	assert_failure 1
	run keclient "$port" --half-close --request=80040002000f80000000
	assert_line --regexp '^error \(critical\): 1 '
	run keclient "$port" --request=80010002000080040002000180000000
	assert_line --regexp '^aead-algorithm \(critical\): \(empty\)'
	run keclient "$port" --request=80010002800080000000
	assert_line --regexp '^next-protocol \(critical\): \(empty\)'
	# silent: connects and never starts the handshake
	timeout 20 socat -T 20 -u TCP:127.0.0.1:"$port" - </dev/null >/dev/null 2>&1 || true
	wait_stat nts-ke-tcp refused-timeout 1
	wait_stat nts-ke-tcp processes-started 8
	same_counts nts-ke-tcp --key-file "$KEYS"
	stat_is connections-accepted 8
	stat_is exchanges-completed 2
	stat_is cookies-issued 16
	stat_is exchanges-refused 6
	stat_is refused-alpn 1
	stat_is refused-tls-handshake 1
	stat_is refused-malformed 1
	stat_is refused-no-aead 1
	stat_is refused-no-protocol 1
	stat_is refused-timeout 1
	stat_is refused-per-source 0
	stat_is refused-internal 0
	[ "$(stat -c %a "$dir/nts-ke-tcp.state")" = 600 ]
}

@test "nts-ke-tcp listening: one process counts exchanges, a refusal per source and timeouts; a second listening activation adds to them" {
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --state-dir="$dir" \
		--io-timeout=2 --idle-timeout=1 --max-per-source=2
	pid=$(last_pid)
	# Three silent connections from 127.0.0.2: two held, one over the limit.
	hold 3
	run keclient "$port" --keys="$KEYS"
	assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	wait_stat nts-ke-tcp refused-timeout 2
	release
	wait_gone "$pid" 10 || fail "nts-ke-tcp $pid still runs"
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --state-dir="$dir" --idle-timeout=60
	for i in 1 2; do
		run keclient "$port" --keys="$KEYS"
		assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	done
	kill -TERM "$(last_pid)"
	wait_gone "$(last_pid)" 10 || fail "nts-ke-tcp still runs"
	same_counts nts-ke-tcp --key-file "$KEYS"
	stat_is processes-started 2
	stat_is connections-accepted 6
	stat_is exchanges-completed 3
	stat_is cookies-issued 24
	stat_is refused-per-source 1
	stat_is refused-timeout 2
	stat_is exchanges-refused 3
}

@test "--stats with another format: exit 2; without a state file: exit 1; nts-ke-tcp --help names --state-dir and --stats" {
	run "$BIN/sntp-udp" --state-dir="$dir" --stats=json
	assert_failure 2
	assert_output --partial -- '--stats: no FORMAT, or prometheus'
	run "$BIN/nts-ke-tcp" --state-dir="$dir" --stats=prometheus
	assert_failure 1
	assert_output --partial 'nts-ke-tcp.state'
	run "$BIN/nts-ke-tcp" --help
	assert_output --partial -- '--state-dir=DIR'
	assert_output --partial -- '--stats[=FORMAT]'
}

@test "libexec/sockclock-metrics: every program's metrics in one file, one HELP and TYPE a metric, mode 0644, replaced whole (a reader looping meanwhile never sees a part)" {
	base=$BATS_TEST_TMPDIR/run
	mkdir -p "$BATS_TEST_TMPDIR/textfile"
	mkdir -m 700 -p "$base/sntp-udp" "$base/daytime-udp" "$base/nts-ke-tcp"
	tool update "$KEYS" 86400
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/sntp-udp" --state-dir="$base/sntp-udp" \
		--idle-timeout=1 --nts-keys="$KEYS"
	run ntp "$port"
	assert_output --regexp '^len=48 '
	wait_gone "$(last_pid)" 10 || fail "sntp-udp still runs"
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/daytime-udp" --state-dir="$base/daytime-udp" \
		--idle-timeout=1
	run udp_line "$port"
	wait_gone "$(last_pid)" 10 || fail "daytime-udp still runs"
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --state-dir="$base/nts-ke-tcp"
	run keclient "$port" --keys="$KEYS"
	assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	dir=$base/nts-ke-tcp wait_stat nts-ke-tcp exchanges-completed 1
	out=$BATS_TEST_TMPDIR/textfile/sockclock.prom
	# A reader parses the file as often as it can while the writer runs
	# 10 times; every read must hold all three programs.
	$PY - "$out" >"$BATS_TEST_TMPDIR/reader" 2>&1 <<'PY' &
import os, sys, time
from prometheus_client.parser import text_string_to_metric_families
path, reads = sys.argv[1], 0
while not os.path.exists(path + ".stop"):
    try:
        text = open(path).read()
    except FileNotFoundError:
        continue
    progs = {s.labels["program"] for f in text_string_to_metric_families(text)
             for s in f.samples}
    if progs != {"sntp-udp", "daytime-udp", "nts-ke-tcp"}:
        print("partial:", sorted(progs), len(text))
        sys.exit(1)
    reads += 1
print("reads", reads)
PY
	reader=$!
	SERVER_PIDS+=($reader)
	for i in $(seq 10); do
		SBIN=$BIN/ "$TOP/libexec/sockclock-metrics" "$BATS_TEST_TMPDIR/textfile" "$base" ||
			fail "the writer failed"
	done
	touch "$out.stop"
	wait "$reader" || fail "$(cat "$BATS_TEST_TMPDIR/reader")"
	echo "# $(cat "$BATS_TEST_TMPDIR/reader")" >&3
	[ "$(stat -c %a "$out")" = 644 ]
	run ls -A "$BATS_TEST_TMPDIR/textfile"
	assert_output "$(printf 'sockclock.prom\nsockclock.prom.stop')"
	# One HELP and one TYPE per metric, its samples right after them.
	run awk '/^# TYPE/ { if (seen[$3]++) print "twice:", $3; cur = $3; next }
		/^#/ { next } { n = $1; sub(/\{.*/, "", n); if (n != cur) print "stray:", n }' "$out"
	assert_output ""
	for p in sntp-udp daytime-udp nts-ke-tcp; do
		grep -q "^sockclock_processes_started_total{program=\"$p\"} 1$" "$out" ||
			fail "$p missing: $(cat "$out")"
	done
	grep -q '^sockclock_nts_ke_exchanges_total{program="nts-ke-tcp"} 1$' "$out"
	# A state file it cannot read: the run fails, the last file stays.
	before=$(cat "$out")
	truncate -s 10 "$base/daytime-udp/daytime-udp.state"
	run env SBIN=$BIN/ "$TOP/libexec/sockclock-metrics" "$BATS_TEST_TMPDIR/textfile" "$base"
	assert_failure
	assert_output --partial 'daytime-udp.state: wrong size'
	[ "$(cat "$out")" = "$before" ] || fail "the file changed"
	run ls -A "$BATS_TEST_TMPDIR/textfile"
	assert_output "$(printf 'sockclock.prom\nsockclock.prom.stop')"
}
