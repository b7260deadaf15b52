#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# --format=+FORMAT: a line of the administrator's own, by hand
# and through real sockets (systemd-socket-activate), for daytime-tcp and
# daytime-udp. Each line is parsed back and compared with date(1) for the
# instant it reports; each bad class exits 2 and answers nothing.

load helpers/common
load helpers/core-lib

teardown() { stop_servers; }

export LC_ALL=C

GUIDE='+%Y-%m-%d %H:%M:%S UTC'
WEEK='+%G-W%V-%u'
EPOCH='+%s'

# The line (CR LF checked, then removed) from a file of raw bytes.
crlf_line() {
	[ "$(tail -c2 "$1" | xxd -p)" = 0d0a ] || fail "no CR LF at the end: $(xxd "$1")"
	[ "$(tr -cd '\r\n' <"$1" | wc -c)" = 2 ] || fail "not one line: $(xxd "$1")"
	LC_ALL=C grep -qaxE '[ -~]+'$'\r' "$1" || fail "not printable ASCII: $(xxd "$1")"
	tr -d '\r\n' <"$1"
}

# check_line EXAMPLE LINE: LINE is what EXAMPLE gives (--utc) for an
# instant from $t0 - 1 to $t1, checked against date for that instant.
check_line() {
	local ex=$1 line=$2 t
	case $ex in
	guide)
		[[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ UTC$ ]] ||
			fail "guide: '$line'"
		t=$(date -u -d "$line" +%s) || fail "date cannot read '$line'"
		[ "$(date -u -d "@$t" "$GUIDE")" = "$line" ] || fail "guide: '$line' for @$t"
		;;
	epoch)
		[[ $line =~ ^[0-9]+$ ]] || fail "epoch: '$line'"
		t=$line
		;;
	week)
		# An ISO week date names a day, not an instant: it must be
		# date's for one of the seconds of the run.
		for ((t = t0 - 1; t <= t1; t++)); do
			[ "$(date -u -d "@$t" "$WEEK")" = "$line" ] && return 0
		done
		fail "week: '$line' is not date's for @$((t0 - 1))..@$t1 ($(date -u -d "@$t1" "$WEEK"))"
		;;
	esac
	((t >= t0 - 1 && t <= t1)) || fail "$ex: '$line' is @$t, not within @$((t0 - 1))..@$t1"
}

format_of() {
	case $1 in guide) echo "$GUIDE" ;; week) echo "$WEEK" ;; epoch) echo "$EPOCH" ;; esac
}

# By hand: stdin /dev/null; stdout in $o, stderr in $e, exit in $rc.
hand() {
	o=$BATS_TEST_TMPDIR/out e=$BATS_TEST_TMPDIR/err rc=0
	"$@" </dev/null >"$o" 2>"$e" || rc=$?
}

@test "by hand: the guide's format, an ISO week date and %s, checked with date" {
	for p in daytime-tcp daytime-udp; do
		for ex in guide week epoch; do
			# Berlin must change nothing under --utc (glibc's own %s
			# would read the UTC time back as Berlin's).
			t0=$(date +%s)
			hand env TZ=Europe/Berlin "$BIN/$p" --utc --format="$(format_of $ex)"
			t1=$(date +%s)
			[ "$rc" = 0 ] || fail "$p $ex: exit $rc: $(cat "$e")"
			[ ! -s "$e" ] || fail "$p $ex: stderr: $(cat "$e")"
			check_line "$ex" "$(crlf_line "$o")"
		done
	done
}

@test "by hand: without --utc the local zone (TZ), %Z and %z as date gives them" {
	for p in daytime-tcp daytime-udp; do
		t0=$(date +%s)
		hand env TZ=America/New_York "$BIN/$p" --format='+%s %F %T %Z %z'
		t1=$(date +%s)
		[ "$rc" = 0 ] || fail "$p: exit $rc: $(cat "$e")"
		line=$(crlf_line "$o")
		t=${line%% *}
		((t >= t0 - 1 && t <= t1)) || fail "$p: '$line' not now"
		want=$(TZ=America/New_York date -d "@$t" '+%s %F %T %Z %z')
		[ "$line" = "$want" ] || fail "$p: '$line', date says '$want'"
		[[ $line =~ \ E[SD]T\ -0[45]00$ ]] || fail "$p: zone in '$line'"
	done
}

# Each class of bad format, with the words of its message.
BAD_FMTS=('+' '+%B %A %200Y' "+$(printf 'x%.0s' {1..257})"
	'+%n' '+%F%t%T' $'+%F\r' '+caf'$'\xc3\xa9' '+%q' '+%N' '+%Eb' '+abc%')
BAD_WHY=('the format is empty' 'the line can be 220 characters long'
	'the format is longer than 256 characters'
	"'%n' writes a line feed" "'%t' writes a tab" 'a control character (byte 0x0d)'
	'byte 0xc3 at offset 3 is not ASCII' "'%q' is not a conversion strftime knows"
	"'%N' is not a conversion" "'%Eb' is not a conversion" "'%' at the end is not a conversion")

@test "by hand: each bad format is a usage error: exit 2, the reason, nothing on stdout" {
	for p in daytime-tcp daytime-udp; do
		for i in "${!BAD_FMTS[@]}"; do
			# before and after --utc: the check runs once all is known
			for args in "--utc --format" "--format"; do
				hand "$BIN/$p" $args="${BAD_FMTS[i]}"
				[ "$rc" = 2 ] || fail "$p '${BAD_FMTS[i]}': exit $rc"
				[ ! -s "$o" ] || fail "$p '${BAD_FMTS[i]}': stdout: $(xxd "$o")"
				grep -qF -- "${BAD_WHY[i]}" "$e" ||
					fail "$p '${BAD_FMTS[i]}': want '${BAD_WHY[i]}': $(cat "$e")"
				grep -q "^Usage: $p" "$e" || fail "$p: no usage: $(cat "$e")"
			done
		done
	done
}

@test "by hand: the longest case counts (September, Wednesday), --utc after --format too" {
	# 148 + "September" = 157: fits; 149 more does not, even in May.
	x148=$(printf 'x%.0s' {1..148})
	hand "$BIN/daytime-tcp" --utc --format="+%B$x148"
	[ "$rc" = 0 ] || fail "157: exit $rc: $(cat "$e")"
	hand "$BIN/daytime-tcp" --utc --format="+%Bx$x148"
	[ "$rc" = 2 ] && grep -qF 'the line can be 158 characters long (9999-09-' "$e" ||
		fail "158: exit $rc: $(cat "$e")"
	# %Z: 6 letters in a local zone (tzdata's longest), "UTC" with --utc,
	# which may come after --format.
	x151=$(printf 'x%.0s' {1..151})
	hand env TZ=UTC "$BIN/daytime-udp" --format="+%Zx$x151"
	[ "$rc" = 2 ] || fail "local %Z + 152: exit $rc"
	hand env TZ=UTC "$BIN/daytime-udp" --format="+%Zx$x151" --utc
	[ "$rc" = 0 ] || fail "--utc %Z + 152: exit $rc: $(cat "$e")"
	[ "$(crlf_line "$o")" = "UTCx$x151" ]
}

# Through systemd-socket-activate: TCP with --accept (a connected socket
# per connection), UDP with --datagram. PROTO: tcp or udp.
socket_examples() {
	local proto=$1 ex args
	args=(--accept)
	[ "$proto" = udp ] && args=(--datagram)
	for ex in guide week epoch; do
		port=$(free_port "$proto")
		activate "$port" "${args[@]}" -- "$BIN/daytime-$proto" --utc \
			--format="$(format_of $ex)" --idle-timeout=0
		t0=$(date +%s)
		"${proto}_line" "$port" >"$BATS_TEST_TMPDIR/line"
		t1=$(date +%s)
		check_line "$ex" "$(crlf_line "$BATS_TEST_TMPDIR/line")"
		stop_servers
	done
}

@test "daytime-tcp through a socket: the three examples" {
	socket_examples tcp
}

@test "daytime-udp through a socket: the three examples" {
	socket_examples udp
}

# One format of each class: empty, too long, a control character, an
# unknown conversion. The program is exec'ed on the socket (no --accept,
# so that its exit status is ours to see) and must exit 2 with no byte
# (TCP) or datagram (UDP) sent. PROTO: tcp or udp.
SOCK_BAD=('+' '+%B %A %200Y' '+%F%n' '+%q')

socket_bad() {
	local proto=$1 f args=() got=$BATS_TEST_TMPDIR/line
	[ "$proto" = udp ] && args=(--datagram)
	for f in "${SOCK_BAD[@]}"; do
		port=$(free_port "$proto")
		activate "$port" "${args[@]}" -- "$BIN/daytime-$proto" --utc --format="$f"
		pid=$(last_pid)
		if [ "$proto" = tcp ]; then
			socat -T2 -u "TCP:127.0.0.1:$port" - </dev/null >"$got" 2>/dev/null || true
		else
			printf 'x' | socat -T1 - "UDP:127.0.0.1:$port" >"$got" 2>/dev/null || true
		fi
		rc=0
		wait "$pid" || rc=$?
		SERVER_PIDS=()
		[ "$rc" = 2 ] || fail "$proto '$f': exit $rc"
		[ ! -s "$got" ] || fail "$proto '$f': got $(xxd "$got")"
	done
}

@test "daytime-tcp through a socket: each bad class exits 2, the client reads nothing" {
	socket_bad tcp
}

@test "daytime-udp through a socket: each bad class exits 2, no datagram comes back" {
	socket_bad udp
}
