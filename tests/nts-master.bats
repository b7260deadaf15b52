#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# NTS cookie keys derived from a master secret (issue 24): nts-ke-tcp
# --make-master-key, and --nts-master-key in nts-ke-tcp and sntp-udp.
# Cookies another host of the fleet would make are minted by
# tests/helpers/mkeytool (sockclock's own derivation and sealing code),
# requests built and replies checked by tests/helpers/nts_client.py
# (python3-cryptography's AES-SIV, apart from sockclock's Nettle code).
# The window of periods, a change-over (NEW,OLD), every bad master file,
# --stats and --dump, and chronyd -Q through both programs, each with its
# own copy of the secret. The fleet in namespaces: root/netns-fleet.bats.

load helpers/common
load helpers/core-lib
load helpers/ntske

setup_file() {
	ntske_setup_file
	cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$TOP/common" \
		-o "$BATS_FILE_TMPDIR/mkeytool" "$TOP/tests/helpers/mkeytool.c" \
		"$TOP/common/proto/masterkey.c" "$TOP/common/sys/masterkeyfile.c" "$TOP/common/sys/fullio.c" \
		"$TOP/common/proto/ntscookie.c" "$TOP/common/proto/cookiekeys.c" -l:libnettle.a
}

setup() {
	M=$BATS_TEST_TMPDIR/master
	"$BIN/nts-ke-tcp" --make-master-key="$M" 2>/dev/null
	C2S=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	S2C=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	# A period long enough that a test never straddles two of them
	# unless it means to (clear_of_boundary).
	PERIOD=100000
}

teardown() {
	stop_servers
	no_sanitizer_report
}

mkeytool() {
	"$BATS_FILE_TMPDIR/mkeytool" "$@"
}

# Wait while the next period boundary is less than 10 s away, so that
# the cookies minted now are of the period the server sees.
clear_of_boundary() {
	local left
	left=$(( PERIOD - $(date +%s) % PERIOD ))
	[ "$left" -ge 10 ] || sleep $((left + 1))
}

start_sntp() { # extra sntp-udp args; sets $port
	activate_udp "$BIN/sntp-udp" --verbose \
		--idle-timeout=30 --rate-limit=0 --assume-synchronized "$@"
}

nts() { # COOKIE [client args]
	local c=$1; shift
	$PY "$TOP/tests/helpers/nts_client.py" --port "$port" --cookie "$c" \
		--c2s "$C2S" --s2c "$S2C" "$@"
}

@test "--make-master-key: 32 bytes of mode 0600 whatever the umask, never over a file or a link; the fingerprint logged" {
	local f=$BATS_TEST_TMPDIR/made
	run bash -c "umask 000; '$BIN/nts-ke-tcp' --make-master-key='$f'"
	assert_success
	assert_output --regexp "NTS master key $f: made, fingerprint [0-9a-f]{16}$"
	[ "$(stat -c '%a %s' "$f")" = "600 32" ] || fail "$(stat -c '%a %s' "$f")"
	[ "${output##* }" = "$(mkeytool fpr "$f")" ] || fail "logged ${output##* }"
	local sum
	sum=$(sha256sum <"$f")
	run "$BIN/nts-ke-tcp" --make-master-key="$f"
	assert_failure 1
	assert_output --partial "$f: exists (never overwritten)"
	[ "$(sha256sum <"$f")" = "$sum" ] || fail "the secret changed"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/link"
	run "$BIN/nts-ke-tcp" --make-master-key="$BATS_TEST_TMPDIR/link"
	assert_failure 1
	[ ! -e "$BATS_TEST_TMPDIR/elsewhere" ] || fail "followed the link"
	# Two secrets differ.
	"$BIN/nts-ke-tcp" --make-master-key="$f.2" 2>/dev/null
	! cmp -s "$f" "$f.2" || fail "two secrets alike"
}

@test "sntp-udp --nts-master-key: cookies derived elsewhere from the same secret get NTS replies, from the next period's to two periods old; older, further ahead or another secret's get a NAK" {
	clear_of_boundary
	start_sntp --nts-master-key="$M" --nts-rotate="$PERIOD"
	local s
	for s in 1 0 -1 -2; do
		run nts "$(mkeytool cookie "$M" "$PERIOD" "$C2S" "$S2C" "$s")" \
			--new-cookie "$BATS_TEST_TMPDIR/next"
		assert_output --regexp '^good .* kind=nts uid-echoed=yes cookies=1 ' ||
			fail "a cookie of period now$s: $output"
		# The new cookie is under the current period's key id.
		[ "$(head -c 8 "$BATS_TEST_TMPDIR/next")" = "$(mkeytool id "$M" "$PERIOD")" ] ||
			fail "new cookie's id $(head -c 8 "$BATS_TEST_TMPDIR/next")"
	done
	for s in 2 -3; do
		run nts "$(mkeytool cookie "$M" "$PERIOD" "$C2S" "$S2C" "$s")"
		assert_output --regexp '^good .* kind=nak uid-echoed=yes ' ||
			fail "period now$s: $output"
	done
	"$BIN/nts-ke-tcp" --make-master-key="$M.other" 2>/dev/null
	run nts "$(mkeytool cookie "$M.other" "$PERIOD" "$C2S" "$S2C")"
	assert_output --regexp '^good .* kind=nak uid-echoed=yes '
	# Another period length with the same secret: other keys, a NAK.
	run nts "$(mkeytool cookie "$M" 86400 "$C2S" "$S2C")"
	assert_output --regexp '^good .* kind=nak uid-echoed=yes '
	grep -q "NTS master key $M: nts-master-key-fingerprint: $(mkeytool fpr "$M"), a key every $PERIOD s" \
		"$BATS_TEST_TMPDIR/bg.log" || fail "no fingerprint at start: $(cat "$BATS_TEST_TMPDIR/bg.log")"
}

@test "a change-over, --nts-master-key=NEW,OLD: a cookie under OLD gets an NTS reply whose new cookie is under NEW; OLD's cookies NAK once OLD is dropped" {
	clear_of_boundary
	local new=$BATS_TEST_TMPDIR/new
	"$BIN/nts-ke-tcp" --make-master-key="$new" 2>/dev/null
	start_sntp --nts-master-key="$new,$M" --nts-rotate="$PERIOD"
	run nts "$(mkeytool cookie "$M" "$PERIOD" "$C2S" "$S2C" -1)" --new-cookie "$BATS_TEST_TMPDIR/next"
	assert_output --regexp '^good .* kind=nts uid-echoed=yes cookies=1 '
	[ "$(head -c 8 "$BATS_TEST_TMPDIR/next")" = "$(mkeytool id "$new" "$PERIOD")" ] ||
		fail "new cookie under $(head -c 8 "$BATS_TEST_TMPDIR/next"), not NEW's"
	run nts "$(cat "$BATS_TEST_TMPDIR/next")"
	assert_output --regexp '^good .* kind=nts '
	grep -q "nts-master-key-fingerprint: $(mkeytool fpr "$new"),nts-master-key-fingerprint-old: $(mkeytool fpr "$M"), a key" "$BATS_TEST_TMPDIR/bg.log" ||
		fail "no fingerprints at start: $(cat "$BATS_TEST_TMPDIR/bg.log")"
	stop_servers
	start_sntp --nts-master-key="$new" --nts-rotate="$PERIOD"
	run nts "$(mkeytool cookie "$M" "$PERIOD" "$C2S" "$S2C")"
	assert_output --regexp '^good .* kind=nak '
	# One secret as NEW and OLD: refused (said; plain NTP still served).
	run "$BIN/sntp-udp" --nts-master-key="$M,$M" --dump </dev/null
	assert_output --partial "NEW and OLD are the same secret"
}

# Each bad master file as NAME:SETUP (SETUP makes $bad).
bad_files() {
	bad=$BATS_TEST_TMPDIR/bad-$1
	rm -rf "$bad"
	case $1 in
	short) head -c 31 "$M" >"$bad"; chmod 600 "$bad" ;;
	long) { cat "$M"; echo; } >"$bad"; chmod 600 "$bad" ;;
	group) cp "$M" "$bad"; chmod 640 "$bad" ;;
	world) cp "$M" "$bad"; chmod 604 "$bad" ;;
	symlink) ln -s "$M" "$bad" ;;
	missing) : ;;
	directory) mkdir -m 700 "$bad" ;;
	esac
}

@test "a bad master file (short, long, group- or world-readable, a symlink, missing, a directory): nts-ke-tcp exits 1 naming it and why" {
	local name
	for name in short long group world symlink missing directory; do
		bad_files "$name"
		run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null
		assert_failure 1
		assert_output --partial "NTS master key $bad: "
	done
	# The reasons, one each.
	bad_files short; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "too short"
	bad_files long; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "too long"
	bad_files group; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "group or others"
	bad_files world; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "group or others"
	bad_files symlink; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "symbolic link"
	bad_files missing; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "$bad: missing"
	bad_files directory; run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null; assert_output --partial "not a regular file"
	# OLD bad too: the whole set is refused.
	bad_files short; run "$BIN/nts-ke-tcp" --nts-master-key="$M,$bad" </dev/null
	assert_failure 1
	assert_output --partial "NTS master key $bad: too short"
	# Socket-activated: no exchange is served, exit 1, the reason logged.
	local ke
	ke=$(free_port tcp)
	bad_files group
	activate "$ke" --accept -- "$BIN/nts-ke-tcp" --cert="$BATS_FILE_TMPDIR/srv.crt" \
		--key="$BATS_FILE_TMPDIR/srv.key" --nts-master-key="$bad"
	run keclient "$ke"
	assert_failure
	grep -q "NTS master key $bad: readable or writable by its group or others" "$BATS_TEST_TMPDIR/bg.log" ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
}

@test "an unreadable master file: nts-ke-tcp exits 1 and says so" {
	local d bad
	d=$(mktemp -d)
	chmod 755 "$d"
	bad=$d/master
	cp "$M" "$bad"
	if [ "$(id -u)" = 0 ]; then
		chmod 600 "$bad" # root's alone
		run setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null
	else
		chmod 000 "$bad"
		run "$BIN/nts-ke-tcp" --nts-master-key="$bad" </dev/null
	fi
	rm -rf "$d"
	assert_failure 1
	assert_output --partial "NTS master key $bad: Permission denied"
}

@test "a bad master file (short, long, group-readable, a symlink, missing; OLD missing): sntp-udp answers plain NTP, gives NTS requests no answer (as for a bad key file), and says why once" {
	local c name
	for c in short long group symlink missing; do
		bad_files "$c"
		: >"$BATS_TEST_TMPDIR/bg.log"
		start_sntp --nts-master-key="$bad"
		run nts "$(mkeytool cookie "$M" 86400 "$C2S" "$S2C")" --timeout 0.5
		assert_output --regexp 'reply=0 kind=none' || fail "$c: $output"
		run ntp "$port"
		assert_output --regexp '^len=48 '
		sleep 1.1 # the next second of requests: tried again, not said again
		run nts "$(mkeytool cookie "$M" 86400 "$C2S" "$S2C")" --timeout 0.5
		assert_output --regexp 'reply=0 kind=none'
		[ "$(grep -c "NTS master key $bad: .*; NTS requests get no answer" "$BATS_TEST_TMPDIR/bg.log")" = 1 ] ||
			fail "$c: not one message: $(cat "$BATS_TEST_TMPDIR/bg.log")"
		stop_servers
		SERVER_PIDS=()
	done
	# OLD missing in NEW,OLD: the set is refused, and the message names OLD.
	: >"$BATS_TEST_TMPDIR/bg.log"
	start_sntp --nts-master-key="$M,$M.gone"
	run nts "$(mkeytool cookie "$M" 86400 "$C2S" "$S2C")" --timeout 0.5
	assert_output --regexp 'reply=0 kind=none'
	grep -q "NTS master key $M.gone: missing; NTS requests get no answer" "$BATS_TEST_TMPDIR/bg.log" ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
}

@test "--stats and --stats=prometheus name the master secrets' fingerprints (NEW, then NEW and OLD) from the state file, the secrets moved away; none in the key file's mode; --dump names them" {
	local fpr dir new=$BATS_TEST_TMPDIR/new
	fpr=$(mkeytool fpr "$M")
	run "$BIN/sntp-udp" --nts-master-key="$M" --dump </dev/null
	assert_success
	assert_line "nts-master-key-fingerprint: $fpr"
	dir=$BATS_TEST_TMPDIR/state
	mkdir -m 700 "$dir"
	"$BIN/nts-ke-tcp" --make-master-key="$new" 2>/dev/null
	clear_of_boundary
	start_sntp --state-dir="$dir" --nts-master-key="$M" --nts-rotate="$PERIOD"
	run nts "$(mkeytool cookie "$M" "$PERIOD" "$C2S" "$S2C")"
	assert_output --regexp '^good .* kind=nts '
	stop_servers
	# --stats reads the state file only: the secret is not where the
	# option says (nor is the option given).
	mv "$M" "$M.away"
	stats_agree sntp-udp "$dir" --master "$M.away"
	grep -qx "nts-master-key-fingerprint: $fpr" <<<"$stats" || fail "$stats"
	! grep -q 'nts-master-key-fingerprint-old' <<<"$stats" || fail "$stats"
	grep -qx "sockclock_nts_master_key_info{program=\"sntp-udp\",fingerprint=\"$fpr\",role=\"new\"} 1" \
		"$BATS_TEST_TMPDIR/prom" || fail "$(cat "$BATS_TEST_TMPDIR/prom")"
	run "$BIN/sntp-udp" --state-dir="$dir" --nts-master-key="$M" --stats
	assert_success
	assert_line "nts-master-key-fingerprint: $fpr"

	# A change-over: both, NEW first, each with its role.
	mv "$M.away" "$M"
	start_sntp --state-dir="$dir" --nts-master-key="$new,$M" --nts-rotate="$PERIOD"
	run nts "$(mkeytool cookie "$M" "$PERIOD" "$C2S" "$S2C")"
	assert_output --regexp '^good .* kind=nts '
	stop_servers
	stats_agree sntp-udp "$dir" --master "$new,$M"
	grep -qx "nts-master-key-fingerprint: $(mkeytool fpr "$new")" <<<"$stats" || fail "$stats"
	grep -qx "nts-master-key-fingerprint-old: $fpr" <<<"$stats" || fail "$stats"
	grep -qx "sockclock_nts_master_key_info{program=\"sntp-udp\",fingerprint=\"$fpr\",role=\"old\"} 1" \
		"$BATS_TEST_TMPDIR/prom" || fail "$(cat "$BATS_TEST_TMPDIR/prom")"

	# The key file's mode: no fingerprint left from the runs before.
	start_sntp --state-dir="$dir" --nts-keys="$BATS_TEST_TMPDIR/none"
	run ntp "$port"
	stop_servers
	stats_agree sntp-udp "$dir"
	! grep -q master "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/prom" || fail "$stats"

	run "$BIN/sntp-udp" --nts-master-key="$M" --nts-keys="$BATS_TEST_TMPDIR/k"
	assert_failure 2
	assert_output --partial "--nts-master-key: not with --nts-keys"
	run "$BIN/nts-ke-tcp" --nts-master-key="$M" --nts-keys="$BATS_TEST_TMPDIR/k"
	assert_failure 2
	assert_output --partial "--nts-master-key: not with --nts-keys"
	run "$BIN/nts-ke-tcp" --nts-master-key="$M" --rotate-keys
	assert_failure 2
	run "$BIN/sntp-udp" --nts-rotate=60
	assert_failure 2
	assert_output --partial "--nts-rotate: only with --nts-master-key"
	run "$BIN/nts-ke-tcp" --nts-master-key="$M" --nts-rotate=1.5
	assert_failure 2
	assert_output --partial "whole seconds"
	run "$BIN/nts-ke-tcp" --nts-master-key=a,b,c
	assert_failure 2
}

@test "chronyd -Q through nts-ke-tcp and sntp-udp, each with its own copy of the master secret and no key file: authenticated, under 1 ms; both --stats name the one fingerprint" {
	local ke ntp i
	cp -p "$M" "$M.ntp"
	mkdir -m 700 "$BATS_TEST_TMPDIR/ke" "$BATS_TEST_TMPDIR/ntp"
	ke=$(free_port tcp)
	ntp=$(free_port udp)
	activate "$ke" --accept -- "$BIN/nts-ke-tcp" --cert="$BATS_FILE_TMPDIR/srv.crt" \
		--key="$BATS_FILE_TMPDIR/srv.key" --nts-master-key="$M" -v \
		--state-dir="$BATS_TEST_TMPDIR/ke"
	activate "$ntp" --datagram -- "$BIN/sntp-udp" --nts-master-key="$M.ntp" \
		--assume-synchronized --idle-timeout=30 -v \
		--state-dir="$BATS_TEST_TMPDIR/ntp"
	nts_chrony "$ke" "$ntp"
	# The KE process may still be ending: its count comes last.
	for i in $(seq 100); do
		"$BIN/nts-ke-tcp" --state-dir="$BATS_TEST_TMPDIR/ke" --stats 2>/dev/null |
			grep -qx 'exchanges-completed: 1' && break
		sleep 0.1
	done
	mv "$M" "$M.away"
	mv "$M.ntp" "$M.ntp.away"
	stats_agree nts-ke-tcp "$BATS_TEST_TMPDIR/ke" --master "$M.away"
	grep -qx "exchanges-completed: 1" <<<"$stats" || fail "$stats"
	grep -qx "nts-master-key-fingerprint: $(mkeytool fpr "$M.away")" <<<"$stats" || fail "$stats"
	stats_agree sntp-udp "$BATS_TEST_TMPDIR/ntp" --master "$M.ntp.away"
	grep -qx "nts-master-key-fingerprint: $(mkeytool fpr "$M.away")" <<<"$stats" || fail "$stats"
	mv "$M.away" "$M"
	under_1ms "$offset"
	grep -q 'keys and 8 cookies sent' "$BATS_TEST_TMPDIR/bg.log"
	grep -q "NTS master key $M: fingerprint $(mkeytool fpr "$M"), a key every 86400 s" "$BATS_TEST_TMPDIR/bg.log" ||
		fail "$(cat "$BATS_TEST_TMPDIR/bg.log")"
	[ ! -e "$BATS_TEST_TMPDIR/nts-keys" ] && ! ls "$BATS_TEST_TMPDIR" | grep -q '^nts-keys' ||
		fail "a key file was written"
}

# |x| < 1 ms
under_1ms() {
	awk -v x="$1" 'BEGIN { if (x < 0) x = -x; exit !(x < 0.001) }' ||
		fail "offset $1 s not under 1 ms"
}
