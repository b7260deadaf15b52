#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# NTS for NTP (RFC 8915 §5) from sntp-udp through
# systemd-socket-activate: cookies are minted from the key file by
# tests/helpers/ntstool (sockclock's own sealing code), requests built and
# replies checked by tests/helpers/nts_client.py (python3-cryptography's
# AES-SIV, written apart from sockclock's Nettle code). Every request
# class: its answer (NTS reply, NAK, or silence), the amplification bound,
# key rotation, a broken key file, the rate limit, and by hand.

load helpers/common
load helpers/core-lib

setup_file() {
	cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/common" \
		-o "$BATS_FILE_TMPDIR/ntstool" "$TOP/tests/helpers/ntstool.c" \
		"$TOP/common/proto/cookiekeys.c" "$TOP/common/sys/cookiekeyfile.c" "$TOP/common/sys/fullio.c" "$TOP/common/proto/ntscookie.c" -l:libnettle.a
}

setup() {
	KEYS=$BATS_TEST_TMPDIR/nts-keys
	tool update "$KEYS" 86400
	C2S=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	S2C=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	COOKIE=$(tool cookie "$KEYS" "$C2S" "$S2C")
}

teardown() {
	stop_servers
	[ -z "${SHARED:-}" ] || rm -rf "$SHARED"
	no_sanitizer_report
}

tool() {
	"$BATS_FILE_TMPDIR/ntstool" "$@"
}

# sntp-udp under systemd-socket-activate --datagram on $port; extra args
# go to sntp-udp. Sanitizer settings are passed on.
start_sntp() {
	activate_udp "$BIN/sntp-udp" --verbose \
		--idle-timeout=30 --rate-limit=0 --nts-keys="$KEYS" "$@"
}

# nts [CLIENT-ARGS...]: requests to $port with $COOKIE; one line a class.
nts() {
	$PY "$TOP/tests/helpers/nts_client.py" --port "$port" --cookie "$COOKIE" \
		--c2s "$C2S" --s2c "$S2C" "$@"
}

MALFORMED=len-odd,len-short,past-end,two-cookies,placeholder-len,auth-not-last,no-uid,no-cookie,no-auth,short-uid,short-nonce,two-uids,unknown-last

@test "an NTS request gets an NTS reply: the identifier echoed, as long as the request, 1 + placeholders cookies sealed under S2C" {
	start_sntp
	local p want
	for p in 0 1 3 7; do
		run nts --placeholders "$p"
		assert_success
		want=$((p + 1))
		assert_output --regexp "^good sent=([0-9]+) reply=\\1 kind=nts uid-echoed=yes cookies=$want origin-ok=yes$"
	done
	run nts --class unknown --placeholders 1
	assert_output --regexp '^unknown sent=([0-9]+) reply=\1 kind=nts uid-echoed=yes cookies=2 '
	# A plain request beside them is answered as before: 48 bytes.
	run ntp "$port"
	assert_success
	assert_output --regexp '^len=48 leap=[0-3] version=4 mode=4 '
}

@test "a cookie from an NTS reply is accepted in the next request" {
	start_sntp
	run nts --new-cookie "$BATS_TEST_TMPDIR/next"
	assert_output --regexp 'kind=nts .*cookies=1 '
	COOKIE=$(cat "$BATS_TEST_TMPDIR/next")
	[ ${#COOKIE} = 200 ] || fail "a new cookie of ${#COOKIE} hex digits"
	run nts --new-cookie "$BATS_TEST_TMPDIR/next2"
	assert_output --regexp 'kind=nts .*cookies=1 '
	[ "$(cat "$BATS_TEST_TMPDIR/next2")" != "$COOKIE" ] || fail "the same cookie twice"
}

@test "a bad cookie or a bad authenticator gets an NTS NAK echoing the identifier" {
	start_sntp
	run nts --class bad-cookie,bad-auth --placeholders 2
	assert_success
	assert_line --regexp '^bad-cookie sent=[0-9]+ reply=84 kind=nak uid-echoed=yes cookies=0 origin-ok=yes$'
	assert_line --regexp '^bad-auth sent=[0-9]+ reply=84 kind=nak uid-echoed=yes cookies=0 origin-ok=yes$'
	# A cookie of another server's keys: NAK too.
	COOKIE=$("$BATS_FILE_TMPDIR/ntstool" update "$BATS_TEST_TMPDIR/other" 1 &&
		tool cookie "$BATS_TEST_TMPDIR/other" "$C2S" "$S2C")
	run nts
	assert_output --regexp '^good .* kind=nak uid-echoed=yes '
}

@test "malformed extension fields get silence, and the same process answers next" {
	start_sntp
	local pid
	pid=$(last_pid)
	run nts --class "$MALFORMED,good" --placeholders 1 --timeout 0.5
	assert_success
	echo "$output"
	[ "$(grep -c ' reply=0 kind=none ' <<<"$output")" = 13 ] || fail "a malformed class was answered"
	assert_line --regexp '^good .* kind=nts uid-echoed=yes cookies=2 '
	[ "$(socket_owner "$port" udp)" = "$pid" ] || fail "the socket changed hands"
	[ "$(cat "/proc/$pid/comm")" = sntp-udp ] || fail "pid $pid is no longer sntp-udp"
}

@test "NTS in client mode only: a mode-1 NTS request gets silence, a plain mode-1 request mode 2, an NTPv1 mode-0 one with NTS fields a plain reply" {
	start_sntp
	local pid
	pid=$(last_pid)
	# RFC 8915 §5 is client-server only; chrony answers NTS in mode 3 only.
	run nts --mode 1 --placeholders 1 --timeout 0.5
	assert_success
	assert_output --regexp '^good sent=[0-9]+ reply=0 kind=none uid-echoed=no cookies=0 origin-ok=no$'
	run nts --class plain --mode 1
	assert_output --regexp '^plain sent=48 reply=48 kind=plain .* version=4 mode=2$'
	# Only NTPv4 has extension fields (RFC 7822): past an NTPv1 header
	# they are bytes nobody reads, so the reply is plain and 48 bytes.
	run nts --version 1 --mode 0
	assert_output --regexp '^good sent=[0-9]+ reply=48 kind=plain uid-echoed=no cookies=0 origin-ok=yes version=1 mode=4$'
	run nts
	assert_output --regexp '^good .* kind=nts uid-echoed=yes cookies=1 '
	[ "$(socket_owner "$port" udp)" = "$pid" ] || fail "the socket changed hands"
}

@test "placeholders inside the encrypted fields count: 3 get 4 cookies, 2 outside and 3 inside 6, 9 inside 8; one of the wrong length gets silence" {
	start_sntp
	run nts --enc-placeholders 3
	assert_output --regexp '^good sent=([0-9]+) reply=\1 kind=nts uid-echoed=yes cookies=4 origin-ok=yes$'
	run nts --placeholders 2 --enc-placeholders 3
	assert_output --regexp '^good sent=([0-9]+) reply=\1 kind=nts uid-echoed=yes cookies=6 origin-ok=yes$'
	run nts --enc-placeholders 9
	assert_output --regexp '^good sent=([0-9]+) reply=\1 kind=nts uid-echoed=yes cookies=8 origin-ok=yes$'
	run nts --enc-placeholders 2 --enc-placeholder-len 96 --timeout 0.5
	assert_output --regexp '^good sent=[0-9]+ reply=0 kind=none '
	run nts --enc-placeholders 1
	assert_output --regexp '^good .* kind=nts uid-echoed=yes cookies=2 '
}

@test "a client nonce under 16 bytes is accepted with Additional Padding to 16 (12+4, 1+16, 4+12, 13+0, 1+12), refused without it" {
	start_sntp
	local n
	for n in "12 4" "1 16" "4 12"; do
		set -- $n
		run nts --nonce-len "$1" --extra-pad "$2" --placeholders 1
		assert_output --regexp "^good sent=([0-9]+) reply=\\1 kind=nts uid-echoed=yes cookies=2 origin-ok=yes$"
	done
	# The nonce's room counts its padding to 4, as chrony counts it:
	# 13 + 0 and 1 + 12 fill 16 bytes, 12 + 0, 9 + 0 and 1 + 8 do not.
	for n in "13 0" "1 12"; do
		set -- $n
		run nts --nonce-len "$1" --extra-pad "$2" --placeholders 1
		assert_output --regexp "^good sent=([0-9]+) reply=\\1 kind=nts uid-echoed=yes cookies=2 origin-ok=yes$"
	done
	for n in "12 0" "9 0" "1 8"; do
		set -- $n
		run nts --nonce-len "$1" --extra-pad "$2" --timeout 0.5
		assert_output --regexp '^good sent=[0-9]+ reply=0 kind=none '
	done
	run nts --nonce-len 13 --extra-pad 4
	assert_output --regexp '^good .* kind=nts uid-echoed=yes cookies=1 '
}

@test "amplification: over every NTS class, no reply carries more bytes than its request" {
	start_sntp
	local p all=good,unknown,plain,bad-auth,bad-cookie,$MALFORMED
	for p in 0 1 7; do
		run nts --class "$all" --placeholders "$p" --timeout 0.15
		assert_success
		run awk '{ split($2, s, "="); split($3, r, "=");
			sent += s[2]; got += r[2]; n++
			if (r[2] > s[2]) { print "amplified:", $0; bad = 1 } }
			END { printf "%d classes, %d bytes in, %d back\n", n, sent, got; exit bad }' <<<"$output"
		assert_success
		echo "# placeholders $p: $output" >&3
	done
}

@test "key rotation: a cookie is accepted through two rotations and gets a NAK after the third" {
	start_sntp
	run nts
	assert_output --regexp 'kind=nts '
	local i
	for i in 1 2; do
		tool update "$KEYS" 0
		sleep 1.1 # sntp-udp looks at the file at most once a second
		run nts
		assert_output --regexp 'kind=nts uid-echoed=yes cookies=1 '
	done
	tool update "$KEYS" 0
	sleep 1.1
	run nts
	assert_output --regexp 'kind=nak uid-echoed=yes '
	# A cookie under the new current key is accepted by the same process.
	COOKIE=$(tool cookie "$KEYS" "$C2S" "$S2C")
	run nts
	assert_output --regexp 'kind=nts '
}

@test "a missing, corrupt or open key file: one logged error each, NTS gets nothing, plain NTP works; a good file again is used" {
	local good=$BATS_TEST_TMPDIR/good
	cp -p "$KEYS" "$good"
	rm "$KEYS"
	start_sntp
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	run ntp "$port"
	assert_output --regexp '^len=48 '
	sleep 1.1
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	[ "$(grep -c 'NTS key file .*: missing; NTS requests get no answer' "$BATS_TEST_TMPDIR/bg.log")" = 1 ] ||
		fail "not one message: $(cat "$BATS_TEST_TMPDIR/bg.log")"

	cp -p "$good" "$KEYS"
	sleep 1.1
	run nts
	assert_output --regexp 'kind=nts '

	head -c 191 "$good" >"$KEYS" # one byte short
	sleep 1.1
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	grep -q 'NTS key file .*: corrupt (wrong length)' "$BATS_TEST_TMPDIR/bg.log" || fail "no corrupt message"

	cp -p "$good" "$KEYS"
	chmod 0644 "$KEYS"
	sleep 1.1
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	grep -q 'NTS key file .*: open to others' "$BATS_TEST_TMPDIR/bg.log" || fail "no mode message"
	run ntp "$port"
	assert_output --regexp '^len=48 '
}

@test "the rate limit applies to NTS requests" {
	port=$(free_port udp)
	activate "$port" --datagram -- "$BIN/sntp-udp" --idle-timeout=30 \
		--rate-limit=1 --rate-burst=4 --nts-keys="$KEYS"
	local many
	many=$(printf 'good,%.0s' $(seq 12))
	run nts --class "${many%,}" --timeout 0.3
	assert_success
	local answered
	answered=$(grep -c 'kind=nts ' <<<"$output")
	[ "$answered" -ge 4 ] && [ "$answered" -le 6 ] ||
		fail "$answered of 12 NTS answers at 1/s, burst 4: $output"
	! grep -q 'kind=nak' <<<"$output" || fail "a NAK over the limit"
}

@test "by hand: an NTS request on standard input gets a sealed reply on standard output" {
	local req=$BATS_TEST_TMPDIR/req rep=$BATS_TEST_TMPDIR/rep uid port=0
	uid=$(nts --placeholders 2 --write-request "$req" | cut -d' ' -f2)
	"$BIN/sntp-udp" --nts-keys="$KEYS" <"$req" >"$rep"
	run nts --reply-file "$rep" --request-file "$req" --uid "$uid"
	assert_output --regexp '^reply sent=([0-9]+) reply=\1 kind=nts uid-echoed=yes cookies=3 origin-ok=yes$'
	uid=$(nts --class two-cookies --write-request "$req" | cut -d' ' -f2)
	run "$BIN/sntp-udp" --nts-keys="$KEYS" <"$req"
	assert_failure 1
	assert_output --partial 'malformed NTS extension fields'
}

@test "the cookie and the key file are as documented (opened with an independent AES-SIV)" {
	run $PY - "$KEYS" "$COOKIE" "$C2S" "$S2C" <<'PY'
import hashlib, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
f = open(sys.argv[1], "rb").read()
ck, c2s, s2c = (bytes.fromhex(x) for x in sys.argv[2:5])
assert len(f) == 192 and f[:8] == b"SCNTSK1\n", "magic and length"
assert hashlib.sha256(f[:160]).digest() == f[160:], "checksum"
slots = [(f[16 + 36 * i:20 + 36 * i], f[20 + 36 * i:52 + 36 * i]) for i in range(4)]
ids = [struct.unpack("!I", i)[0] for i, _ in slots]
assert ids == [ids[1] + 1, ids[1], ids[1] - 1, ids[1] - 2], ids
assert len(ck) == 100 and ck[:4] == slots[1][0], "id of the current key"
plain = AESSIV(slots[1][1]).decrypt(ck[20:], [ck[:4], ck[4:20]])
assert plain == c2s + s2c, "C2S || S2C sealed"
print("ok")
PY
	assert_success
	assert_output ok
}

# sntp-udp as nobody (setpriv) with the supplementary groups GROUPS
# (setpriv's --groups list, or "" for none), reading $1; the state
# directory is nobody's.
start_sntp_nobody() { # KEYFILE GROUPS
	local g=--clear-groups
	[ -z "$2" ] || g=--groups=$2
	activate_udp setpriv --reuid=65534 \
		--regid=65534 "$g" -- "$BIN/sntp-udp" --verbose --idle-timeout=30 \
		--rate-limit=0 --state-dir="$SHARED/state" --nts-keys="$1"
}

@test "the key file read through its group: 0640 of another user, the reader in its group, is used; 0644 and 0660 are refused with a clear message" {
	[ "$(id -u)" = 0 ] || skip "needs root (setpriv)"
	# A directory nobody can reach (the test's own is root-only).
	SHARED=$(mktemp -d /tmp/sockclock-keygroup.XXXXXX)
	chmod 755 "$SHARED"
	install -d -o 65534 -m 700 "$SHARED/state"
	gid=64123 # a group nobody is not in, but for --groups
	for m in 0640 0644 0660; do
		cp "$KEYS" "$SHARED/keys-$m"
		chown "0:$gid" "$SHARED/keys-$m"
		chmod "$m" "$SHARED/keys-$m"
	done

	start_sntp_nobody "$SHARED/keys-0640" "$gid"
	run nts
	assert_output --regexp 'kind=nts '
	stop_servers

	: >"$BATS_TEST_TMPDIR/bg.log"
	start_sntp_nobody "$SHARED/keys-0644" "$gid"
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	grep -q "NTS key file $SHARED/keys-0644: open to others (want mode 0640 or 0600)" \
		"$BATS_TEST_TMPDIR/bg.log" || fail "no message: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	stop_servers

	: >"$BATS_TEST_TMPDIR/bg.log"
	start_sntp_nobody "$SHARED/keys-0660" "$gid"
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	grep -q "NTS key file $SHARED/keys-0660: writable by its group (want mode 0640 or 0600)" \
		"$BATS_TEST_TMPDIR/bg.log" || fail "no message: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	stop_servers

	# Not in the group: the kernel refuses the read.
	: >"$BATS_TEST_TMPDIR/bg.log"
	start_sntp_nobody "$SHARED/keys-0640" ""
	run nts --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	grep -q "NTS key file $SHARED/keys-0640: Permission denied" \
		"$BATS_TEST_TMPDIR/bg.log" || fail "no message: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	stop_servers
}
