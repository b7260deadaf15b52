#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Each program run by hand (standard input not a socket): the reply on
# standard output, errors on standard error, exit codes 0/1/2.

load helpers/common
load helpers/core-lib

teardown() { stop_servers; }

export LC_ALL=C

# run_hand PROGRAM ARGS...: stdin is /dev/null (a character device, not
# a socket); stdout in $out (raw bytes in $BATS_TEST_TMPDIR/out), stderr
# in $err, exit status in $rc, epoch seconds before/after in $t0/$t1.
run_hand() {
	local o="$BATS_TEST_TMPDIR/out" e="$BATS_TEST_TMPDIR/err"
	t0=$(date +%s)
	rc=0
	"$@" </dev/null >"$o" 2>"$e" || rc=$?
	t1=$(date +%s)
	out=$(cat "$o")
	err=$(cat "$e")
}

# The line must be exactly one line ending in CR LF; prints it without.
one_crlf_line() {
	local f="$BATS_TEST_TMPDIR/out"
	[ "$(tail -c2 "$f" | xxd -p)" = 0d0a ] || fail "no CR LF at the end: $(xxd "$f")"
	[ "$(tr -cd '\n' <"$f" | wc -c)" = 1 ] || fail "not one line: $(xxd "$f")"
	[ "$(tr -cd '\r' <"$f" | wc -c)" = 1 ] || fail "stray CR: $(xxd "$f")"
	LC_ALL=C grep -qaxE '[ -~]+'$'\r' "$f" || fail "not printable ASCII: $(xxd "$f")"
	tr -d '\r\n' <"$f"
}

# expect_one_of LINE DATE-ARGS...: LINE equals `date DATE-ARGS` for one
# of the seconds from $t0 to $t1 (the run's own second, 1 s allowed).
expect_one_of() {
	local line=$1 t want=()
	shift
	for ((t = t0 - 1; t <= t1; t++)); do
		want+=("$(date -d "@$t" "$@")")
		[ "$line" = "${want[-1]}" ] && return 0
	done
	fail "'$line' is none of: ${want[*]}"
}

DAYNAME='(Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
MON='(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
HMS='[0-2][0-9]:[0-5][0-9]:[0-6][0-9]'

# format, regex of the line, and `date -u` format of the same instant.
check_format() {
	local prog=$1 fmt=$2 re=$3 datefmt=$4
	run_hand env TZ=UTC "$BIN/$prog" --utc --format="$fmt"
	[ "$rc" = 0 ] || fail "$prog --format=$fmt: exit $rc: $err"
	[ -z "$err" ] || fail "stderr not empty: $err"
	local line
	line=$(one_crlf_line) || return 1
	[[ $line =~ $re ]] || fail "$prog --format=$fmt: '$line' !~ $re"
	expect_one_of "$line" -u "$datefmt"
}

check_all_formats() {
	local p=$1
	check_format "$p" ctime "^$DAYNAME $MON [ 123][0-9] $HMS [0-9]{4}\$" \
		'+%a %b %e %H:%M:%S %Y'
	check_format "$p" xinetd "^[0-3][0-9] [A-Z]{3} [0-9]{4} $HMS UTC\$" \
		'+%d %^b %Y %H:%M:%S UTC'
	check_format "$p" rfc867 \
		"^[A-Z][a-z]+day, [A-Z][a-z]+ [1-9][0-9]?, [0-9]{4} $HMS-UTC\$" \
		'+%A, %B %-d, %Y %H:%M:%S-UTC'
	check_format "$p" rfc2822 "^$DAYNAME, [0-3][0-9] $MON [0-9]{4} $HMS \\+0000\$" \
		'+%a, %d %b %Y %H:%M:%S +0000'
	check_format "$p" iso8601 "^[0-9]{4}-[01][0-9]-[0-3][0-9]T${HMS}Z\$" \
		'+%Y-%m-%dT%H:%M:%SZ'
}

@test "daytime-tcp by hand: every --format is one CR LF line, equal to date -u" {
	check_all_formats daytime-tcp
}

@test "daytime-udp by hand: every --format is one CR LF line, equal to date -u" {
	check_all_formats daytime-udp
}

@test "by hand: the default format is ctime in the local zone (TZ honoured)" {
	for p in daytime-tcp daytime-udp; do
		run_hand env TZ=Asia/Tokyo "$BIN/$p"
		[ "$rc" = 0 ] || fail "$p: exit $rc"
		line=$(one_crlf_line)
		TZ=Asia/Tokyo expect_one_of "$line" '+%a %b %e %H:%M:%S %Y'
	done
}

@test "by hand: TZ=Asia/Tokyo gives +09:00 in iso8601, --utc gives Z" {
	for p in daytime-tcp daytime-udp; do
		run_hand env TZ=Asia/Tokyo "$BIN/$p" --format=iso8601
		line=$(one_crlf_line)
		[[ $line == *+09:00 ]] || fail "$p: $line"
		TZ=Asia/Tokyo expect_one_of "$line" '+%Y-%m-%dT%H:%M:%S+09:00'
		run_hand env TZ=Asia/Tokyo "$BIN/$p" --format=iso8601 --utc
		line=$(one_crlf_line)
		expect_one_of "$line" -u '+%Y-%m-%dT%H:%M:%SZ'
	done
}

@test "by hand: a zone west of UTC and its abbreviation in rfc2822/xinetd/rfc867" {
	run_hand env TZ=America/New_York "$BIN/daytime-tcp" --format=rfc2822
	line=$(one_crlf_line)
	[[ $line =~ [-]0[45]00$ ]] || fail "$line"
	TZ=America/New_York expect_one_of "$line" '+%a, %d %b %Y %H:%M:%S %z'
	run_hand env TZ=America/New_York "$BIN/daytime-udp" --format=xinetd
	line=$(one_crlf_line)
	TZ=America/New_York expect_one_of "$line" '+%d %^b %Y %H:%M:%S %Z'
	run_hand env TZ=America/New_York "$BIN/daytime-tcp" --format=rfc867
	line=$(one_crlf_line)
	TZ=America/New_York expect_one_of "$line" '+%A, %B %-d, %Y %H:%M:%S-%Z'
}

@test "by hand: the nist line, its MJD computed here, always UTC" {
	read -r sync leap < <(net kernel-clock)
	for p in daytime-tcp daytime-udp; do
		# Tokyo must change nothing: the NIST line is always UTC.
		run_hand env TZ=Asia/Tokyo "$BIN/$p" --format=nist
		[ "$rc" = 0 ] || fail "exit $rc"
		line=$(one_crlf_line)
		re='^([0-9]{5}) ([0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8}) ([0-9]{2}) ([0-2]) ([0-9]) +([0-9]+\.[0-9]) UTC\(sockclock\) \*$'
		[[ $line =~ $re ]] || fail "shape: '$line'"
		local mjd=${BASH_REMATCH[1]} stamp=${BASH_REMATCH[2]} tt=${BASH_REMATCH[3]}
		local l=${BASH_REMATCH[4]} h=${BASH_REMATCH[5]}
		local ok=
		for ((t = t0 - 1; t <= t1; t++)); do
			# MJD 40587 is 1970-01-01.
			[ "$mjd" = $((t / 86400 + 40587)) ] &&
				[ "$stamp" = "$(date -u -d "@$t" '+%y-%m-%d %H:%M:%S')" ] && ok=1
		done
		[ -n "$ok" ] || fail "'$line' is not now ($t0..$t1)"
		# US daylight-saving code: outside March and November it is
		# 50 (April to October) or 00 (December to February).
		month=$(date -u -d "@$t0" +%-m)
		if ((month > 3 && month < 11)); then [ "$tt" = 50 ] || fail "TT $tt"; fi
		if ((month == 12 || month < 3)); then [ "$tt" = 00 ] || fail "TT $tt"; fi
		if [ "$sync" = unsynchronized ]; then
			[ "$h" != 0 ] || fail "health 0 on an unsynchronised clock"
			[ "$l" = 0 ] || fail "leap $l on an unsynchronised clock"
		else
			[ "$h" = 0 ] || fail "health $h on a synchronised clock"
		fi
		[[ $line != *NIST* ]] || fail "claims to be NIST"
	done
}

@test "sntp-udp | xxd: 48 bytes, origin = the request's transmit bytes" {
	req="$BATS_TEST_TMPDIR/req"
	# v4 client request with a recognisable transmit timestamp.
	{ printf '\x23\x00\x06\xec'; head -c 36 /dev/zero; printf '\xee\xae\x01\x02\xa1\xb2\xc3\xd4'; } >"$req"
	[ "$(stat -c %s "$req")" = 48 ]
	"$BIN/sntp-udp" <"$req" >"$BATS_TEST_TMPDIR/reply"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/reply")" = 48 ]
	hex=$(xxd -p -c 48 "$BATS_TEST_TMPDIR/reply")
	# origin (bytes 24-31) is the request's transmit (bytes 40-47)
	[ "${hex:48:16}" = eeae0102a1b2c3d4 ] || fail "origin ${hex:48:16}"
	# LI VN mode: VN 4 copied, mode 4; poll 6 copied
	first=$((16#${hex:0:2}))
	[ $(((first >> 3) & 7)) = 4 ] && [ $((first & 7)) = 4 ] || fail "first byte ${hex:0:2}"
	[ "${hex:4:2}" = 06 ] || fail "poll ${hex:4:2}"
	# receive and transmit are now: NTP seconds within 5 s of date
	now=$(($(date +%s) + 2208988800))
	for off in 64 80; do
		s=$((16#${hex:off:8}))
		((s >= now - 5 && s <= now + 5)) || fail "timestamp at $off: $s vs $now"
	done
	# printed to a pipe as xxd would read it: the same 48 bytes
	run bash -c "'$BIN/sntp-udp' <'$req' | xxd"
	assert_success
	[ "${#lines[@]}" = 3 ]
}

@test "sntp-udp with a v3 request: version copied, mode 4, 48 bytes" {
	{ printf '\x1b\x00\x0a\x00'; head -c 36 /dev/zero; printf '\x01\x02\x03\x04\x05\x06\x07\x08'; } |
		"$BIN/sntp-udp" >"$BATS_TEST_TMPDIR/reply"
	hex=$(xxd -p -c 48 "$BATS_TEST_TMPDIR/reply")
	[ "${#hex}" = 96 ]
	first=$((16#${hex:0:2}))
	[ $(((first >> 3) & 7)) = 3 ] && [ $((first & 7)) = 4 ] || fail "${hex:0:2}"
	[ "${hex:4:2}" = 0a ]
	[ "${hex:48:16}" = 0102030405060708 ]
}

@test "sntp-udp --dump: one 'field: value' line per field" {
	run_hand "$BIN/sntp-udp" --dump
	[ "$rc" = 0 ] || fail "exit $rc: $err"
	for f in leap version mode stratum poll precision root_delay \
		root_dispersion reference_id reference_time origin receive transmit \
		upstream; do
		[ "$(grep -c "^$f: ." <<<"$out")" = 1 ] || fail "field $f in: $out"
	done
	[ "$(wc -l <<<"$out")" = 14 ] || fail "extra lines: $out"
	grep -qx 'version: 4' <<<"$out" || fail "$out"
	grep -q '^mode: 4' <<<"$out" || fail "$out"
	host_clock
	grep -Eq "^leap: $CLOCK_LEAP( |\$)" <<<"$out" || fail "$out"
	grep -Eq "^stratum: $CLOCK_STRATUM( |\$)" <<<"$out" || fail "$out"
	run_hand "$BIN/sntp-udp" --dump --assume-synchronized --stratum=3
	grep -q '^leap: 0' <<<"$out" || fail "$out"
	grep -q '^stratum: 3' <<<"$out" || fail "$out"
	grep -q "^transmit: .*$(date -u +%Y-%m-%d)" <<<"$out" || fail "$out"
}

@test "sntp-udp: empty stdin uses a built-in v4 request stamped now" {
	run_hand "$BIN/sntp-udp"
	[ "$rc" = 0 ] || fail "exit $rc: $err"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" = 48 ]
	hex=$(xxd -p -c 48 "$BATS_TEST_TMPDIR/out")
	[ "${hex:0:2}" = e4 ] || [ "${hex:0:2}" = 24 ] || fail "first byte ${hex:0:2}"
	now=$(($(date +%s) + 2208988800))
	s=$((16#${hex:48:8}))
	((s >= now - 5 && s <= now + 5)) || fail "origin $s, now $now"
}

@test "sntp-udp: a bad request by hand is a clear error, exit 1" {
	for bad in "$(printf 'hello')" "$(head -c 48 /dev/zero | tr '\0' 'A')"; do
		run_hand bash -c 'printf %s "$1" | "$2"' _ "$bad" "$BIN/sntp-udp"
		[ "$rc" = 1 ] || fail "exit $rc"
		[ -z "$out" ] || fail "stdout: $out"
		[[ $err == *sntp-udp:*dropped* ]] || fail "stderr: $err"
	done
	# 47 bytes: too short
	run_hand bash -c 'head -c 47 /dev/zero | "$1"' _ "$BIN/sntp-udp"
	[ "$rc" = 1 ] && [[ $err == *length* ]] || fail "$rc $err"
	# mode 4 (a reply) by hand
	run_hand bash -c '{ printf "\x24"; head -c 47 /dev/zero; } | "$1"' _ "$BIN/sntp-udp"
	[ "$rc" = 1 ] && [[ $err == *"not a client"* ]] || fail "$rc $err"
}

# bad_usage PROGRAM ARGS...: exit 2, the problem and the usage on
# stderr, nothing on stdout.
bad_usage() {
	run_hand "$@"
	[ "$rc" = 2 ] || fail "$*: exit $rc"
	[ -z "$out" ] || fail "$*: stdout: $out"
	[[ $err == *Usage:* ]] || fail "$*: no usage: $err"
	[ "$(wc -l <<<"$err")" -gt 3 ] || fail "$*: $err"
}

@test "bad options and values: exit 2, usage on stderr, nothing on stdout" {
	for p in daytime-tcp daytime-udp sntp-udp nts-ke-tcp; do
		bad_usage "$BIN/$p" --bogus
		[[ $err == *bogus* ]] || fail "$err"
		bad_usage "$BIN/$p" -x
		bad_usage "$BIN/$p" --idle-timeout=-1
		[[ $err == *idle-timeout* ]] || fail "$err"
		bad_usage "$BIN/$p" --idle-timeout=soon
		bad_usage "$BIN/$p" --io-timeout=-0.5
		bad_usage "$BIN/$p" --io-timeout
		bad_usage "$BIN/$p" stray
		[[ $err == *stray* ]] || fail "$err"
	done
	for p in daytime-tcp daytime-udp; do
		bad_usage "$BIN/$p" --format=bogus
		[[ $err == *format* ]] || fail "$err"
		bad_usage "$BIN/$p" --format=
	done
	for v in 0 16 -1 1x ""; do
		bad_usage "$BIN/sntp-udp" --stratum="$v"
		[[ $err == *stratum* ]] || fail "$err"
	done
	for v in toolong 1.2.3 "" 300.1.1.1; do
		bad_usage "$BIN/sntp-udp" --refid="$v"
		[[ $err == *refid* ]] || fail "$err"
	done
	bad_usage "$BIN/sntp-udp" --root-delay=-1
	bad_usage "$BIN/sntp-udp" --format=nist
	bad_usage "$BIN/daytime-tcp" --stratum=2
	for p in daytime-udp sntp-udp; do
		for v in "" 10.0.0.1/8 ::/129 10.0.0.0/8, 10.0.0.0/8,,::1 name fe80::1%lo; do
			bad_usage "$BIN/$p" --allow="$v"
			[[ $err == *"--allow: '$v'"* ]] || fail "$err"
		done
	done
	# A TCP client cannot be spoofed; the allow list is the superserver's.
	bad_usage "$BIN/daytime-tcp" --allow=10.0.0.0/8
	for v in --nts-rotate=0 --nts-rotate=soon --ntp-port=0 --ntp-port=65536 \
		--ntp-port=x --ntp-server= "--ntp-server=a b" --cert; do
		bad_usage "$BIN/nts-ke-tcp" "$v"
		[[ $err == *"${v%%=*}"* ]] || fail "$v: $err"
	done
}

@test "bad options before a request on stdin: the request is not answered" {
	run_hand bash -c 'head -c 48 /dev/zero | "$1" --stratum=0' _ "$BIN/sntp-udp"
	[ "$rc" = 2 ] && [ -z "$out" ] || fail "$rc $out"
}

@test "--help exits 0 with the usage on stdout; --version exits 0" {
	for p in daytime-tcp daytime-udp sntp-udp nts-ke-tcp; do
		run_hand "$BIN/$p" --help
		[ "$rc" = 0 ] || fail "$p --help: $rc"
		[[ $out == *"Usage: $p"* ]] || fail "$out"
		[[ $out == *--idle-timeout* && $out == *--io-timeout* && $out == *--verbose* ]] || fail "$out"
		run_hand "$BIN/$p" -h
		[ "$rc" = 0 ] && [[ $out == *Usage:* ]] || fail "-h"
		run_hand "$BIN/$p" --version
		[ "$rc" = 0 ] || fail "$p --version: $rc"
		[[ $out =~ ^$p\ .*[0-9] ]] || fail "$out"
		[ "$(wc -l <<<"$out")" = 1 ]
		run_hand "$BIN/$p" -V
		[ "$rc" = 0 ] && [[ $out =~ ^$p ]] || fail "-V"
	done
	run_hand "$BIN/daytime-tcp" --help
	[[ $out == *--format* && $out == *--utc* ]] || fail "$out"
	run_hand "$BIN/sntp-udp" --help
	for o in --stratum --root-delay --refid --assume-synchronized --dump; do
		[[ $out == *"$o"* ]] || fail "sntp-udp --help lacks $o"
	done
}

@test "--verbose by hand: the reply is unchanged, nothing extra on stdout" {
	run_hand env TZ=UTC "$BIN/daytime-tcp" --verbose --utc --format=iso8601
	[ "$rc" = 0 ]
	line=$(one_crlf_line)
	expect_one_of "$line" -u '+%Y-%m-%dT%H:%M:%SZ'
}
