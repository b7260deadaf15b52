#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# chronyd -Q as the NTS client (RFC 8915) of nts-ke-tcp and sntp-udp
# sharing one key file, both under systemd-socket-activate: the key
# exchange (--accept and listening) hands out cookies that sntp-udp
# opens, and chronyd reports an authenticated offset under 1 ms; key
# rotation seen by a chronyd daemon: still authenticated after one, NTS
# NAK and a new key exchange once its cookies' key has rotated out.

load helpers/common
load helpers/core-lib
load helpers/ntske

setup_file() {
	ntske_setup_file
}

teardown() {
	stop_servers
	no_sanitizer_report
}

serve_pair() { # KE activation args...: sets ke, ntp
	ke=$(free_port tcp)
	ntp=$(free_port udp)
	activate "$ke" "$@" -- "$BIN/nts-ke-tcp" $(KE_OPTS) -v
	activate "$ntp" --datagram -- "$BIN/sntp-udp" --nts-keys="$BATS_TEST_TMPDIR/nts-keys" \
		--assume-synchronized --idle-timeout=30 -v
}

@test "chronyd NTS through systemd-socket-activate --accept: authenticated, under 1 ms" {
	serve_pair --accept
	nts_chrony "$ke" "$ntp"
	under_1ms "$offset"
	grep -q 'keys and 8 cookies sent' "$BATS_TEST_TMPDIR/bg.log"
}

@test "chronyd NTS with a listening KE socket: authenticated, under 1 ms" {
	serve_pair
	nts_chrony "$ke" "$ntp"
	under_1ms "$offset"
}

@test "chronyd follows the Port record: the KE names the NTP port" {
	ke=$(free_port tcp)
	ntp=$(free_port udp)
	activate "$ke" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --ntp-server=127.0.0.1 --ntp-port="$ntp"
	activate "$ntp" --datagram -- "$BIN/sntp-udp" --nts-keys="$BATS_TEST_TMPDIR/nts-keys" \
		--assume-synchronized --idle-timeout=30
	# the server line names a port where nothing listens
	nts_chrony "$ke" "$(free_port udp)"
	under_1ms "$offset"
}

# Lines of bg.log matching an extended regex.
count_log() {
	grep -Ec -- "$1" "$BATS_TEST_TMPDIR/bg.log" || true
}

# Wait up to SECS until count_log RE reaches N.
wait_count() { # re n secs
	local i
	for i in $(seq $(($3 * 10))); do
		[ "$(count_log "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$(count_log "$1") of $2 lines /$1/ within $3 s: $(tail -n 20 "$BATS_TEST_TMPDIR/bg.log")"
}

@test "key rotation: one rotation keeps chronyd authenticated; once its keys are gone, NAK and a new key exchange" {
	ke=$(free_port tcp)
	ntp=$(free_port udp)
	activate "$ke" --accept -- "$BIN/nts-ke-tcp" $(KE_OPTS) --nts-rotate=1 -v
	activate "$ntp" --datagram -- "$BIN/sntp-udp" --nts-keys="$BATS_TEST_TMPDIR/nts-keys" \
		--assume-synchronized --idle-timeout=60 -v
	local d=$BATS_TEST_TMPDIR/chrony
	mkdir -p "$d"
	printf '%s\n' "server 127.0.0.1 port $ntp nts ntsport $ke minpoll 0 maxpoll 0 iburst" \
		"ntstrustedcerts $BATS_FILE_TMPDIR/ca.crt" nosystemcert 'cmdport 0' \
		"pidfile $d/chronyd.pid" "ntsdumpdir $d" >"$d/conf"
	# -x: never touches the clock; a daemon that keeps polling every second
	start_bg chronyd -d -x -u root -f "$d/conf"
	NTS='NTS request answered'
	wait_count "$NTS" 2 20
	[ "$(count_log 'keys and 8 cookies sent')" = 1 ]
	# One rotation (an exchange of ours after the period): chronyd's
	# cookies are under the previous key now, still kept.
	sleep 1.1
	keclient "$ke" >/dev/null
	n=$(count_log "$NTS")
	wait_count "$NTS" $((n + 2)) 10
	[ "$(count_log 'NTS NAK sent')" = 0 ] || fail "NAK after one rotation"
	# Three more: the key of chronyd's cookies drops out of the file.
	for r in 1 2 3; do sleep 1.1; keclient "$ke" >/dev/null; done
	wait_count 'NTS NAK sent' 1 15
	# chronyd's second key exchange (ours were 4), then NTS time again.
	wait_count 'keys and 8 cookies sent' 6 20
	n=$(count_log "$NTS")
	wait_count "$NTS" $((n + 2)) 15
	echo "# rotation: $(count_log 'NTS NAK sent') NAK(s), $(count_log 'keys and 8 cookies sent') key exchanges (4 ours), $(count_log "$NTS") NTS answers" >&3
}
