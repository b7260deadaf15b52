#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# nts-ke-tcp, the NTS-KE server (RFC 8915 §4), through
# systemd-socket-activate (--accept and listening) and by hand, checked
# by a client of our own (tests/bench/keclient.c: GnuTLS, decodes the
# records, opens the cookies with the key file) and gnutls-cli: 8
# cookies holding the session's exported keys, every malformed request
# class with its RFC answer, TLS 1.2, no ALPN, slow and silent clients
# cut off, bad certificates and key files refused with exit 1.

load helpers/common
load helpers/core-lib
load helpers/ntske
load helpers/hold

setup_file() {
	ntske_setup_file
}

teardown() {
	[ -z "${LOCK_PID:-}" ] || release_dir_lock
	stop_servers
	no_sanitizer_report
}

CHRONY_REQ=80010002000080040002000f80000000

# name | request (hex) | a line the response must hold
CLASSES=(
	"chrony's request|$CHRONY_REQ|^aead-algorithm \(critical\): 15 "
	"unknown critical record|80010002000080040002000f83e7000080000000|^error \(critical\): 0 "
	"unknown record, not critical|80010002000080040002000f03e7000080000000|^aead-algorithm \(critical\): 15 "
	"no next protocol|80040002000f80000000|^error \(critical\): 1 "
	"two next protocols|8001000200008001000200008004000200 0f80000000|^error \(critical\): 1 "
	"next protocol not critical|00010002000080040002000f80000000|^error \(critical\): 1 "
	"next protocol of odd length|8001000300000080040002000f80000000|^error \(critical\): 1 "
	"no AEAD record|8001000200008000 0000|^error \(critical\): 1 "
	"a cookie record in the request|80010002000080040002000f00050002abcd80000000|^error \(critical\): 1 "
	"an error record in the request|80010002000080040002000f8002000200 0180000000|^error \(critical\): 1 "
	"end of message not critical|80010002000080040002000f00000000|^error \(critical\): 1 "
	"no end of message|80010002000080040002000f|^error \(critical\): 1 "
	"no protocol in common|8001000280008000 0000|^next-protocol \(critical\): \(empty\)"
	"no AEAD in common|80010002000080040002000180000000|^aead-algorithm \(critical\): \(empty\)"
)

# Each class: the response decoded must match; cookies only for a good one.
check_class() { # output name want
	grep -Eq -- "$3" <<<"$1" || fail "$2: want /$3/ in: $1"
	local cookies
	cookies=$(grep -c '^new-cookie: 100 bytes' <<<"$1" || true)
	if [[ $3 == *"15 "* ]]; then
		[ "$cookies" = 8 ] || fail "$2: $cookies cookies"
	else
		[ "$cookies" = 0 ] || fail "$2: cookies in a refusal"
	fi
	tail -n 1 <<<"$(grep -v '^c2s\|^s2c\|^cookies opened\|^first cookie' <<<"$1")" |
		grep -q '^end-of-message (critical)$' || fail "$2: not ended: $1"
}

@test "by hand: chrony's request (the default) gets next protocol, AEAD, 8 cookies, end" {
	run "$BIN/nts-ke-tcp" </dev/null
	assert_success
	assert_line --index 0 'next-protocol (critical): 0 (NTPv4)'
	assert_line --index 1 'aead-algorithm (critical): 15 (AEAD_AES_SIV_CMAC_256)'
	[ "$(grep -c '^new-cookie: 100 bytes$' <<<"$output")" = 8 ]
	assert_line --index 10 'end-of-message (critical)'
}

@test "by hand: every request class gets the answer of RFC 8915 §4.1" {
	for c in "${CLASSES[@]}"; do
		IFS='|' read -r name hex want <<<"$c"
		out=$(xxd -r -p <<<"${hex// /}" | "$BIN/nts-ke-tcp" 2>/dev/null)
		check_class "$out" "$name" "$want"
	done
}

@test "by hand: --ntp-server and --ntp-port add the negotiation records" {
	run "$BIN/nts-ke-tcp" --ntp-server=ntp2.example --ntp-port=1123 </dev/null
	assert_success
	assert_line --index 2 'ntpv4-server (critical): ntp2.example'
	assert_line --index 3 'ntpv4-port (critical): 1123'
	run "$BIN/nts-ke-tcp" --ntp-port=0 </dev/null
	assert_failure 2
	run "$BIN/nts-ke-tcp" --ntp-server='a b' </dev/null
	assert_failure 2
}

@test "--accept: 8 cookies that open, under the key file, to the session's exported keys" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) -v
	run keclient "$port" --keys="$BATS_TEST_TMPDIR/nts-keys"
	assert_success
	check_class "$output" "chrony's request" '^aead-algorithm \(critical\): 15 '
	assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/nts-keys")" = 640 ]
	# Two sessions, two pairs of keys.
	c2s=$(grep '^c2s:' <<<"$output")
	run keclient "$port" --keys="$BATS_TEST_TMPDIR/nts-keys"
	assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	[ "$(grep '^c2s:' <<<"$output")" != "$c2s" ]
	wait_log 'died with code 0' 5
	! grep -q 'died with code [1-9]' "$BATS_TEST_TMPDIR/bg.log"
}

@test "--accept: every request class through TLS gets its answer" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS)
	for c in "${CLASSES[@]}"; do
		IFS='|' read -r name hex want <<<"$c"
		# no end of message: the client's close_notify ends the request
		out=$(keclient "$port" --half-close --request="${hex// /}" 2>&1) || fail "$name: $out"
		check_class "$out" "$name" "$want"
	done
}

@test "a request over 1024 bytes is read whole" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS)
	pad=$(head -c 1500 /dev/zero | xxd -p | tr -d '\n')
	run keclient "$port" --request="80010002000080040002000f03e705dc${pad}80000000"
	assert_success
	check_class "$output" "1520 bytes" '^aead-algorithm \(critical\): 15 '
}

@test "--ntp-server and --ntp-port reach the client through TLS" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --ntp-server=127.0.0.2 --ntp-port=11123
	run keclient "$port"
	assert_success
	assert_line 'ntpv4-server (critical): 127.0.0.2'
	assert_line 'ntpv4-port (critical): 11123'
}

@test "listening socket: one process serves several exchanges, exits 0 after idle" {
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --idle-timeout=1.5
	pid=$(last_pid)
	for i in 1 2 3; do
		run keclient "$port" --keys="$BATS_TEST_TMPDIR/nts-keys"
		assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	done
	run keclient "$port" --threads=4 --seconds=0.5
	[[ $output =~ failed\ 0\  ]] || fail "$output"
	[ "$(grep -c '^Execing' "$BATS_TEST_TMPDIR/bg.log")" = 1 ]
	wait_gone "$pid" 6 || fail "still running after idle"
	wait "$pid"
}

@test "listening: 100 silent connections from one source hold 16 slots; another source's exchange goes on" {
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --io-timeout=20 --idle-timeout=30
	hold 100
	settled
	# Without the limit the 100 would hold all 64 slots for 20 s.
	for i in 1 2 3; do
		run timeout 5 "$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" \
			--keys="$BATS_TEST_TMPDIR/nts-keys" 127.0.0.1 "$port"
		assert_success
		assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	done
	release
	echo "# the 100: $(held 0)" >&3
	assert_equal "$(held 0)" "line=0 empty=84 reset=0 open=16 other=0"
}

@test "listening: slow and silent clients do not stall the others: every exchange in 2 s of load succeeds" {
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --io-timeout=20 --idle-timeout=30
	# silent: connected, never a handshake; stalled in a record: 3 bytes
	# of a TLS record's 5-byte header, then nothing; slow: the handshake,
	# then the request one byte every 2 s (not done before the load is
	# over).
	hold 8
	hold 4 --src 127.0.0.3 --send 3
	keclient "$port" --dribble=2 >"$BATS_TEST_TMPDIR/slow.out" 2>&1 &
	SERVER_PIDS+=($!)
	settled
	# A loop that waited for either would do no exchange until it ended
	# (--io-timeout=20): under load every exchange must end, none fail.
	run timeout 15 "$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" \
		--threads=2 --seconds=2 127.0.0.1 "$port"
	assert_success
	echo "# next to 1 slow, 4 stalled and 8 silent clients: $output" >&3
	[[ $output =~ ^exchanges\ ([0-9]+)\ failed\ 0\  ]] || fail "$output"
	((BASH_REMATCH[1] >= 10)) || fail "only ${BASH_REMATCH[1]} exchanges: $output"
	# Both were still held all along (the server never gave up on them).
	alive "${SERVER_PIDS[-1]}" || fail "the slow client ended early: $(cat "$BATS_TEST_TMPDIR/slow.out")"
	release
	assert_equal "$(held 0)" "line=0 empty=0 reset=0 open=8 other=0"
	assert_equal "$(held 1)" "line=0 empty=0 reset=0 open=4 other=0"
}

# The certificate a handshake on $port presents, PEM.
served_cert() {
	timeout 10 gnutls-cli --alpn=ntske/1 --x509cafile="$BATS_FILE_TMPDIR/ca.crt" \
		--print-cert -p "$port" 127.0.0.1 </dev/null 2>/dev/null |
		sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' | sed -n '1,/END CERTIFICATE/p'
}

@test "listening: a certificate renewal in a stream of exchanges: none fails, the new certificate from the next handshake on" {
	d=$BATS_TEST_TMPDIR f=$BATS_FILE_TMPDIR
	cp "$f/srv.crt" "$d/ke.crt"
	cp "$f/srv.key" "$d/ke.key"
	# The renewal: a new key and a certificate for it, same CA and name.
	{ certtool --generate-privkey --key-type=ecdsa --outfile "$d/new.key" &&
		certtool --generate-certificate --load-privkey "$d/new.key" \
			--load-ca-certificate "$f/ca.crt" --load-ca-privkey "$f/ca.key" \
			--template "$f/srv.tmpl" --outfile "$d/new.crt"; } >/dev/null 2>&1
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" --cert="$d/ke.crt" --key="$d/ke.key" \
		--nts-keys="$d/nts-keys" --idle-timeout=60
	pid=$(last_pid)
	old=$(cat "$f/srv.crt") new=$(openssl x509 -in "$d/new.crt")
	[ "$(served_cert)" = "$old" ] || fail "not the first certificate: $(served_cert)"
	# 10 s: far longer than the renewal's four handshakes below take.
	keclient "$port" --threads=4 --seconds=10 >"$d/stream.out" 2>&1 &
	stream=$!
	SERVER_PIDS+=($stream)
	# As an ACME client replaces them: one file, then the other (each a
	# rename). In between the key does not match the certificate: the
	# one loaded before is served, with one warning.
	cp "$d/new.key" "$d/key.tmp" && mv -f "$d/key.tmp" "$d/ke.key"
	[ "$(served_cert)" = "$old" ] || fail "half a renewal: not the old certificate"
	wait_log 'still serving the certificate loaded before' 5
	cp "$d/new.crt" "$d/crt.tmp" && mv -f "$d/crt.tmp" "$d/ke.crt"
	[ "$(served_cert)" = "$new" ] || fail "not the renewed certificate: $(served_cert)"
	wait_log 'certificate and key loaded again' 5
	alive "$stream" || fail "the stream ended before the renewal did"
	wait "$stream"
	cat "$d/stream.out"
	echo "# through the renewal: $(tail -n1 "$d/stream.out")" >&3
	grep -Eq '^exchanges [1-9][0-9]* failed 0 ' "$d/stream.out" || fail "$(cat "$d/stream.out")"
	run keclient "$port" --keys="$d/nts-keys"
	assert_line 'cookies opened to the session'"'"'s keys: 8 of 8'
	[ "$(grep -c '^Execing' "$BATS_TEST_TMPDIR/bg.log")" = 1 ] || fail "not one process"
	alive "$pid"
}

@test "TLS 1.2 only, no ALPN, another ALPN: refused" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) -v
	run keclient "$port" --tls12
	assert_failure 1
	assert_line 'handshake failed'
	run keclient "$port" --alpn=
	assert_failure 1
	refute_line --partial 'new-cookie'
	run keclient "$port" --alpn=http/1.1
	assert_failure 1
	refute_line --partial 'new-cookie'
	# gnutls-cli as a second client: 1.2 refused, 1.3 with ALPN served.
	req() { xxd -r -p <<<"$CHRONY_REQ"; }
	run bash -c "$(declare -f req); CHRONY_REQ=$CHRONY_REQ; req | timeout 10 gnutls-cli --priority NORMAL:-VERS-TLS1.3 --alpn=ntske/1 --x509cafile=$BATS_FILE_TMPDIR/ca.crt -p $port 127.0.0.1"
	assert_failure
	run bash -c "xxd -r -p <<<$CHRONY_REQ | timeout 10 gnutls-cli --alpn=ntske/1 --x509cafile=$BATS_FILE_TMPDIR/ca.crt -p $port 127.0.0.1 --logfile=/dev/null | xxd -p | tr -d '\n'"
	assert_success
	[[ $output == 80010002000080040002000f0005006* ]] || fail "$output"
	wait_log 'did not offer ALPN' 5
	wait_log 'No common application protocol' 5
}

@test "a silent and a slow client are cut off at --io-timeout" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --io-timeout=1.5 -v
	# silent: connects and never starts the handshake
	t0=$(now_s)
	timeout 20 socat -T 20 -u TCP:127.0.0.1:"$port" - </dev/null >/dev/null 2>&1 || true
	t=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { print b - a }')
	awk -v t="$t" 'BEGIN { exit !(t >= 1.2 && t < 4) }' || fail "silent client held for $t s"
	# slow: the handshake, then a byte every 0.4 s
	run keclient "$port" --dribble=0.4
	assert_failure 1
	assert_line --regexp '^closed after (0|1|2)\.[0-9] s$'
	wait_log 'io-timeout' 5
}

@test "a missing or bad certificate, key or key file: one clear error, exit 1" {
	port=$(free_port tcp)
	d=$BATS_FILE_TMPDIR
	for args in "--cert=$d/none.crt --key=$d/srv.key|certificate $d/none.crt: No such file" \
		    "--cert=$d/srv.crt --key=$d/ca.key|certificate $d/srv.crt with key $d/ca.key" \
		    "--cert=$d/srv.tmpl --key=$d/srv.key|certificate $d/srv.tmpl with key" \
		    "--cert=$d/srv.crt --key=$d/srv.key --nts-keys=$BATS_TEST_TMPDIR/corrupt|key file $BATS_TEST_TMPDIR/corrupt"; do
		IFS='|' read -r opts want <<<"$args"
		head -c 192 /dev/urandom >"$BATS_TEST_TMPDIR/corrupt"
		chmod 600 "$BATS_TEST_TMPDIR/corrupt"
		: >"$BATS_TEST_TMPDIR/bg.log"
		activate "$port" -- "$BIN/nts-ke-tcp" $opts
		pid=$(last_pid)
		run keclient "$port"
		assert_failure
		wait_gone "$pid" 5
		rc=0; wait "$pid" || rc=$?
		[ "$rc" = 1 ] || fail "$opts: exit $rc: $(cat "$BATS_TEST_TMPDIR/bg.log")"
		grep -qF -- "$want" "$BATS_TEST_TMPDIR/bg.log" || fail "$opts: $(cat "$BATS_TEST_TMPDIR/bg.log")"
		SERVER_PIDS=()
	done
}

@test "--nts-rotate: the handler rotates the key file when due; cookies move to the next key" {
	# One listening process: the rotation comes from the exchange itself.
	# The key file dates a rotation in whole seconds, so a 1 s period is
	# due at the next second's edge, which two exchanges 0.1 s apart can
	# straddle (CI's ASan pass did, once); with a period of P s, two
	# exchanges less than P - 1 s apart never do, and P + 0.1 s later one
	# always is due. P = 4: two exchanges took 0.8 s on a busy host (the
	# normal build), more than the 1 s that P = 2 allowed under ASan. The
	# "not yet" is judged only when they were under P - 1 s apart (timed
	# here), and the rotation P + 0.1 s later counts from the key seen
	# last.
	port=$(free_port tcp)
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --nts-rotate=4 --idle-timeout=10
	local t0 span
	t0=$EPOCHREALTIME
	run keclient "$port" --keys="$BATS_TEST_TMPDIR/nts-keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	id1=$(grep "^first cookie's key id:" <<<"$output" | awk '{ print $NF }')
	run keclient "$port"
	span=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
	id_same=$(grep "^first cookie's key id:" <<<"$output" | awk '{ print $NF }')
	echo "# two exchanges in $span s: key id $id1 then $id_same" >&3
	if awk -v s="$span" 'BEGIN { exit !(s < 3) }'; then
		[ "$id_same" = "$id1" ] || fail "rotated before the period: $id1 -> $id_same in $span s"
	else
		[ "$id_same" = "$id1" ] || [ "$id_same" = $((id1 + 1)) ] || fail "key id $id1 then $id_same in $span s"
	fi
	sleep 4.1
	run keclient "$port" --keys="$BATS_TEST_TMPDIR/nts-keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	id2=$(grep "^first cookie's key id:" <<<"$output" | awk '{ print $NF }')
	[ "$id2" = $((id_same + 1)) ] || fail "key id $id1, $id_same, then $id2"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/nts-keys")" = 640 ]
}

# The key file's rotation stamp (bytes 8-15, Unix seconds), or with a
# second argument, set it (the SHA-256 check of bytes 0-159 made anew).
keys_stamp() { # FILE [SECONDS]
	$PY - "$@" <<'PY'
import hashlib, struct, sys
path = sys.argv[1]
b = bytearray(open(path, "rb").read())
if len(sys.argv) > 2:
    b[8:16] = struct.pack(">q", int(sys.argv[2]))
    b[160:192] = hashlib.sha256(bytes(b[:160])).digest()
    open(path, "r+b").write(bytes(b))
print(struct.unpack(">q", bytes(b[8:16]))[0])
PY
}

# The id of the first cookie's key in keclient's $output.
cookie_key_id() {
	grep "^first cookie's key id:" <<<"$output" | awk '{ print $NF }'
}

@test "listening: a rotation by another process (the timer's --rotate-keys) is served from the next exchange on" {
	port=$(free_port tcp)
	keys=$BATS_TEST_TMPDIR/nts-keys
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --nts-rotate=86400 --idle-timeout=30
	run keclient "$port" --keys="$keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	id1=$(cookie_key_id)
	# Due for the timer (stamped 100 s ago, period 10 s), not for the
	# server (a day): only a file read anew can move its cookies on.
	keys_stamp "$keys" $(($(date +%s) - 100)) >/dev/null
	run "$BIN/nts-ke-tcp" --nts-keys="$keys" --nts-rotate=10 --rotate-keys </dev/null
	assert_success
	run keclient "$port" --keys="$keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	[ "$(cookie_key_id)" = $((id1 + 1)) ] || fail "key id $id1 then $(cookie_key_id)"
	[ "$(grep -c '^Execing' "$BATS_TEST_TMPDIR/bg.log")" = 1 ] || fail "not one process"
}

@test "a key file stamped 10 years ahead rotates at the next exchange, and records now" {
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --nts-rotate=3600
	keys=$BATS_TEST_TMPDIR/nts-keys
	run keclient "$port" --keys="$keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	id1=$(cookie_key_id)
	# As if an exchange ran while the clock (a bad RTC) was 10 years ahead.
	keys_stamp "$keys" $(($(date +%s) + 10 * 365 * 86400)) >/dev/null
	run keclient "$port" --keys="$keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	id2=$(cookie_key_id)
	[ "$id2" = $((id1 + 1)) ] || fail "key id $id1 then $id2: not rotated"
	stamp=$(keys_stamp "$keys")
	now=$(date +%s)
	((stamp <= now && stamp >= now - 60)) || fail "stamp $stamp, now $now"
	# Now dated, it is not due again within the hour.
	run keclient "$port" --keys="$keys"
	[ "$(cookie_key_id)" = "$id2" ] || fail "rotated again: $(cookie_key_id)"
}

@test "--rotate-keys: no socket, creates the file, rotates it when due and not before, a future stamp is due; a bad file: exit 1" {
	keys=$BATS_TEST_TMPDIR/nts-keys
	rk() { "$BIN/nts-ke-tcp" --nts-keys="$keys" --nts-rotate=3600 --rotate-keys </dev/null; }
	ids() { od -An -j16 -N4 -tx1 "$keys" | tr -d ' \n'; } # next key's id
	run rk
	assert_success
	assert_output --partial "key file $keys: current key id"
	[ "$(stat -c %a "$keys")" = 640 ]
	id0=$(ids)
	run rk
	assert_success
	[ "$(ids)" = "$id0" ] || fail "rotated before due"
	keys_stamp "$keys" $(($(date +%s) - 3601)) >/dev/null
	run rk
	assert_success
	id1=$(ids)
	[ "$id1" != "$id0" ] || fail "not rotated when due"
	run rk
	[ "$(ids)" = "$id1" ] || fail "rotated twice"
	keys_stamp "$keys" $(($(date +%s) + 10 * 365 * 86400)) >/dev/null
	run rk
	assert_success
	[ "$(ids)" != "$id1" ] || fail "a future stamp: not rotated"
	head -c 192 /dev/urandom >"$keys"
	run rk
	assert_failure 1
	assert_output --partial "key file $keys: corrupt"
	[ "$(stat -c %s "$keys")" = 192 ]
}

# flock(1) holds the key directory's lock; ended by PID in the test.
hold_dir_lock() { # DIR
	flock --no-fork "$1" sleep 600 &
	LOCK_PID=$!
	local i
	for i in $(seq 100); do
		flock -n "$1" true || return 0
		sleep 0.05
	done
	fail "flock did not take the lock"
}

release_dir_lock() {
	kill "$LOCK_PID" 2>/dev/null || true
	wait "$LOCK_PID" 2>/dev/null || true
}

@test "the key directory's lock held: an exchange with --io-timeout=2 gets the old keys or a refusal in time, never hangs; listening keeps serving" {
	keys=$BATS_TEST_TMPDIR/nts-keys
	port=$(free_port tcp)
	activate "$port" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --nts-rotate=3600 --io-timeout=2 -v
	run keclient "$port" --keys="$keys"
	id1=$(cookie_key_id)
	keys_stamp "$keys" $(($(date +%s) - 7200)) >/dev/null # due
	hold_dir_lock "$BATS_TEST_TMPDIR"
	# The lock is waited for half of the 2 s at most: the deadline bounds
	# the answer (timeout 12: a hang, not a speed limit).
	run timeout 12 "$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" \
		--keys="$keys" 127.0.0.1 "$port"
	assert_success
	assert_line "cookies opened to the session's keys: 8 of 8"
	[ "$(cookie_key_id)" = "$id1" ] || fail "rotated under a held lock?"
	wait_log "lock is held by another process: rotation postponed" 5
	# No key file and the lock held: closed (a process per connection
	# checks the file before TLS), not hung.
	rm "$keys"
	run timeout 12 "$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" \
		127.0.0.1 "$port"
	[ "$status" != 124 ] || fail "hung: $output"
	assert_failure
	refute_line --partial 'new-cookie'
	wait_log "missing, and the key directory's lock is held" 5
	stop_servers

	# Listening: one process; with the lock held, exchanges go on.
	keclient "$port" >/dev/null 2>&1 || true
	release_dir_lock
	: >"$BATS_TEST_TMPDIR/bg.log"
	activate "$port" -- "$BIN/nts-ke-tcp" $(KE_OPTS) --nts-rotate=3600 --io-timeout=2 --idle-timeout=30
	run keclient "$port" --keys="$keys"
	id1=$(cookie_key_id)
	keys_stamp "$keys" $(($(date +%s) - 7200)) >/dev/null
	hold_dir_lock "$BATS_TEST_TMPDIR"
	for i in 1 2 3 4; do
		run timeout 12 "$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" \
			--keys="$keys" 127.0.0.1 "$port"
		assert_success
		assert_line "cookies opened to the session's keys: 8 of 8"
	done
	[ "$(grep -c 'rotation postponed' "$BATS_TEST_TMPDIR/bg.log")" = 1 ] ||
		fail "not one warning: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	# Released: the next exchange rotates.
	release_dir_lock
	run keclient "$port" --keys="$keys"
	assert_line "cookies opened to the session's keys: 8 of 8"
	[ "$(cookie_key_id)" = $((id1 + 1)) ] || fail "key id $id1 then $(cookie_key_id)"
}
