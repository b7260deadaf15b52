#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sntp-udp --keys: symmetric-key authentication. chronyd -Q
# with each key type chrony 4.3 supports, through a real MAC'd exchange;
# a wrong secret; every class of bad MAC (tests/helpers/symkey_probe.py:
# the MACs computed there with hashlib); a key file changed under a
# running server; malformed and unsafe key files; --require-keys. Under
# systemd-socket-activate --datagram on a free loopback port.

load helpers/common
load helpers/core-lib

setup() {
	state_dir_and_port
	keys="$BATS_TEST_TMPDIR/ntp.keys"
}

teardown() {
	stop_servers
	no_sanitizer_report
}

# sntp-udp on $port with --keys=$keys, a state file in $dir, OPTIONS.
serve_keys() {
	activate "$port" --datagram -- "$BIN/sntp-udp" --idle-timeout=30 \
		--assume-synchronized --verbose --state-dir="$dir" \
		--keys="$keys" "$@"
}

# The keys of symkey_probe.py (and chrony's own types), mode 0600.
write_keys() {
	install -m 600 /dev/stdin "$keys" <<-EOF
		# a chronyd key file, unchanged
		1 MD5 md5secret
		2 SHA1 sha1secret
		3 SHA256 sha256secret
		4 SHA384 HEX:00112233445566778899AABBCCDDEEFF
		5 SHA512 ASCII:sha512secret
		6 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c
		7 AES256 0123456789abcdef0123456789abcdef
	EOF
}

probe() {
	run $PY "$TOP/tests/helpers/symkey_probe.py" "$port" "$@"
}

read_stats() {
	run "$BIN/sntp-udp" --state-dir="$dir" --stats
	assert_success
	stats=$output
}

stat_is() {
	grep -qx "$1: $2" <<<"$stats" || fail "want '$1: $2' in:
$stats"
}

# chronyd -Q against $port with key ID $1 of file $2; sets $offset, or
# leaves it empty when chronyd got no usable sample within -t 8 s (it
# sends iburst requests every 2 s: four of them).
chrony_key() {
	local d="$BATS_TEST_TMPDIR/chrony"
	mkdir -p "$d"
	cat >"$d/conf" <<-EOF
		server 127.0.0.1 port $port key $1 iburst maxsamples 1
		keyfile $2
		pidfile $d/chronyd.pid
	EOF
	run timeout 30 chronyd -Q -t 8 -f "$d/conf" -u "$(id -un)"
	offset=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output" |
		awk '{ print $5 }') || true
}

@test "chronyd -Q with each key type (MD5 SHA1 SHA256 SHA384 SHA512 AES128 AES256) gets time, MAC'd, offset under 1 ms" {
	write_keys
	serve_keys
	# A first request starts the process: the exchanges measured are
	# stamped by the kernel, not at the program's start.
	ntp "$port" >/dev/null || fail "no answer to the first request"
	local id got=
	for id in 1 2 3 4 5 6 7; do
		chrony_key "$id" "$keys"
		[ -n "$offset" ] || fail "key $id: no time: $output"
		got+=" $id:$offset"
		awk -v x="$offset" 'BEGIN { if (x < 0) x = -x; exit !(x < 0.001) }' ||
			fail "key $id: offset $offset"
	done
	echo "# chronyd offsets by key ID:$got" >&3
	# Every answer was a MAC'd one (chrony ignores the others).
	[ "$(grep -c "MAC'd request answered" "$BATS_TEST_TMPDIR/bg.log")" -ge 7 ] ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
	read_stats
	stat_is dropped-mac-bad 0
	stat_is dropped-mac-unknown-key 0
}

@test "chronyd -Q with a different secret under the same ID gets no time: silence, counted" {
	write_keys
	serve_keys
	sed 's/^2 SHA1 sha1secret$/2 SHA1 othersecret/' "$keys" >"$BATS_TEST_TMPDIR/client.keys"
	chrony_key 2 "$BATS_TEST_TMPDIR/client.keys"
	[ -z "$offset" ] || fail "a time with the wrong secret: $offset"
	read_stats
	stat_is requests-answered 0
	grep -Eqx 'dropped-mac-bad: [1-9][0-9]*' <<<"$stats" || fail "$stats"
	# And chronyd with an ID the server does not have: the same.
	sed 's/^2 SHA1/9 SHA1/' "$keys" >"$BATS_TEST_TMPDIR/client.keys"
	chrony_key 9 "$BATS_TEST_TMPDIR/client.keys"
	[ -z "$offset" ] || fail "a time under an unknown key: $offset"
	read_stats
	grep -Eqx 'dropped-mac-unknown-key: [1-9][0-9]*' <<<"$stats" || fail "$stats"
	stat_is requests-answered 0
}

@test "every class of MAC: the documented answer or silence, never more bytes out than in" {
	write_keys
	serve_keys
	probe
	assert_success
	echo "$output" | sed 's/^/# /' >&3
	local line name in out
	while read -r name in out rest; do
		in=${in#in=} out=${out#out=}
		[ "$out" -le "$in" ] || fail "$name: $out bytes out for $in in"
		case $name in
		good-after-field) [ "$out $rest" = "72 mac=ok version=4" ] || fail "$name: $out $rest" ;;
		plain) [ "$out $rest" = "48 mac=none version=4" ] || fail "$name: $out $rest" ;;
		good-*) [ "$out" = "$in" ] && [ "${rest%% *}" = mac=ok ] || fail "$name: $out $rest" ;;
		*) [ "$out" = 0 ] || fail "$name answered: $out $rest" ;;
		esac
	done <<<"$output"
	[ "$(grep -c ' out=0$' <<<"$output")" = 15 ] || fail "classes: $output"
	# The versions echoed: v3 stays v3 with its whole digest.
	assert_line "good-sha256-v3 in=84 out=84 mac=ok version=3"
	assert_line "good-sha256-v4-cut in=72 out=72 mac=ok version=4"
	read_stats
	stat_is dropped-mac-malformed 3
	stat_is dropped-mac-unknown-key 2
	stat_is dropped-mac-bad 10
	stat_is requests-answered $((7 + 22))
}

@test "a key file changed under a running server is read again: the new secret answered, the old one not" {
	write_keys
	serve_keys
	probe good-sha1-v4
	assert_output --partial "out=72 mac=ok"
	# Replaced (a new file renamed over it), as an administrator's tool
	# would: key 2 is now othersecret.
	sed 's/^2 SHA1 sha1secret$/2 SHA1 othersecret/' "$keys" >"$keys.new"
	chmod 600 "$keys.new"
	mv "$keys.new" "$keys"
	# The file is looked at once a second of request time: the new
	# secret must be answered within a few seconds of requests.
	# (The probe checks a reply's MAC with the old secret: a reply
	# under the new one shows as mac=bad.)
	local i
	for i in $(seq 50); do
		probe wrong-secret
		[[ $output == *"out=72"* ]] && break
		sleep 0.2
	done
	assert_output "wrong-secret in=72 out=72 mac=bad version=4"
	probe good-sha1-v4
	assert_output "good-sha1-v4 in=72 out=0"
	# Rewritten in place (same inode): seen too.
	sed 's/^2 SHA1 othersecret$/2 SHA1 sha1secret/' "$keys" >"$keys.tmp"
	cat "$keys.tmp" >"$keys"
	for i in $(seq 50); do
		probe good-sha1-v4
		[[ $output == *"out=72 mac=ok"* ]] && break
		sleep 0.2
	done
	[[ $output == *"out=72 mac=ok"* ]] || fail "the rewrite never seen: $output"
	[ "$(grep -c 'key file .*: 7 keys' "$BATS_TEST_TMPDIR/bg.log")" -ge 3 ] ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
}

# By hand: a SHA1 MAC'd request on stdin to sntp-udp --keys=$keys.
by_hand_mac() {
	run bash -c "$PY - <<'EOF' | '$BIN/sntp-udp' --keys='$keys' $*
import hashlib, struct, sys
h = struct.pack('!BBbb', 0x23, 0, 6, -20) + bytes(36) + struct.pack('!Q', 1 << 32)
sys.stdout.buffer.write(h + struct.pack('!I', 2) + hashlib.sha1(b'sha1secret' + h).digest())
EOF"
}

@test "a malformed, unsafe or missing key file: an error naming why (and the line); MAC'd requests get silence, plain ones an answer" {
	local bad
	while IFS='|' read -r bad want; do
		printf '2 SHA1 sha1secret\n%b\n' "$bad" | install -m 600 /dev/stdin "$keys"
		by_hand_mac
		assert_failure
		assert_output --partial "key file $keys: line 2: $want"
	done <<-'EOF'
		0 MD5 x|the ID is not a number
		4294967296 MD5 x|the ID is not a number
		3|no key after the ID
		3 SHA3-256 x|unknown type
		3 AES128 HEX:00|an AES128 key must be 16 bytes
		3 AES256 short|an AES256 key must be 32 bytes
		3 MD5 HEX:0g|not a hex digit
		3 MD5 HEX:012|odd number of hex digits
		3 MD5 a b|more than ID, TYPE and KEY
	EOF
	printf '2 SHA1 sha1secret\n2 MD5 x\n' | install -m 600 /dev/stdin "$keys"
	by_hand_mac
	assert_failure
	assert_output --partial "key 2 given twice"
	# The mode rule of the NTS key file: 0600 and 0640 only.
	printf '2 SHA1 sha1secret\n' | install -m 644 /dev/stdin "$keys"
	by_hand_mac
	assert_failure
	assert_output --partial "open to others"
	chmod 660 "$keys"
	by_hand_mac
	assert_failure
	assert_output --partial "writable by its group"
	ln -s "$keys" "$keys.link"
	chmod 640 "$keys"
	keys=$keys.link by_hand_mac
	assert_failure
	assert_output --partial "a symbolic link (refused)"
	keys=$keys.missing by_hand_mac
	assert_failure
	assert_output --partial "missing"
	# 0640 is good; and a plain request is answered whatever the file.
	by_hand_mac --dump
	assert_success
	assert_output --partial "stratum"
	keys=$keys.missing run "$BIN/sntp-udp" --keys="$keys.missing" --dump </dev/null
	assert_success
}

@test "--require-keys: only MAC'd (or NTS) requests answered; needs --keys; without --keys a MAC is ignored as before" {
	write_keys
	serve_keys --require-keys
	# The marker after each probe is a MAC'd request here.
	probe --mac-marker plain good-sha1-v4
	assert_success
	assert_line "plain in=48 out=0"
	assert_line "good-sha1-v4 in=72 out=72 mac=ok version=4"
	read_stats
	stat_is dropped-mac-required 1
	run "$BIN/sntp-udp" --require-keys </dev/null
	assert_failure
	assert_output --partial "--require-keys: needs --keys=FILE"
	# Without --keys (as before this option): answered plain, no MAC.
	stop_servers
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/sntp-udp" --idle-timeout=30
	run $PY "$TOP/tests/helpers/symkey_probe.py" "$port" good-sha1-v4 unknown-id
	assert_line "good-sha1-v4 in=72 out=48 mac=none version=4"
	assert_line "unknown-id in=72 out=48 mac=none version=4"
}

@test "rate limit: a MAC'd request over the limit gets silence, a plain one its RATE kiss-o'-death" {
	write_keys
	serve_keys --rate-limit=1 --rate-burst=1
	# The burst's one token goes to the first MAC'd request; the next
	# ones, well within a second, are over.
	# The markers come from 127.0.0.2, a source of their own.
	probe --marker-from 127.0.0.2 good-sha1-v4
	assert_output "good-sha1-v4 in=72 out=72 mac=ok version=4"
	probe --marker-from 127.0.0.2 good-sha1-v4
	assert_output "good-sha1-v4 in=72 out=0"
	# Over the limit: that request (silence) and the second marker (a
	# plain one: its RATE kiss-o'-death).
	read_stats
	stat_is rate-limited 2
	stat_is kiss-o-death-sent 1
}

@test "chronyd xleave with a key: interleaved MAC'd replies" {
	write_keys
	serve_keys
	local d="$BATS_TEST_TMPDIR/chrony"
	mkdir -m 755 "$d"
	cat >"$d/conf" <<-EOF
		server 127.0.0.1 port $port key 6 xleave minpoll 1 maxpoll 1
		keyfile $keys
		logdir $d
		log measurements
		cmdport 0
		pidfile $d/chronyd.pid
	EOF
	chronyd -x -d -u "$(id -un)" -f "$d/conf" >"$d/out" 2>&1 &
	chrony=$!
	SERVER_PIDS+=("$chrony")
	# Samples every 2 s: 2 basic, then interleaved; stop at 2
	# interleaved (about 8 s), at most 30 s.
	local i n=0
	for i in $(seq 150); do
		n=$(cat "$d/measurements.log" 2>/dev/null |
			grep -Ec '^[0-9].* [0-9]I [A-Z] [A-Z]$') || true
		[ "$n" -ge 2 ] && break
		sleep 0.2
	done
	grep '^[0-9]' "$d/measurements.log" | sed 's/^/# /' >&3
	[ "$n" -ge 2 ] || fail "$n interleaved samples: $(cat "$d/measurements.log" "$d/out")"
	grep -q "MAC'd interleaved request answered" "$BATS_TEST_TMPDIR/bg.log" ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
	read_stats
	grep -Eqx 'interleaved-answered: [1-9][0-9]*' <<<"$stats" || fail "$stats"
}
