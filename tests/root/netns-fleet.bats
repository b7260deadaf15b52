#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: an NTS fleet keyed by one master secret (issue 24), in
# network namespaces this suite creates, each host joined to the client
# namespace (cli) by a veth pair: a KE host (nts-ke-tcp), NTP hosts 1
# and 2 (sntp-udp, port 123) with the same secret, NTP host 3 with
# another, NTP host 4 with the same secret and a clock one second (half
# a period) ahead (libfaketime, preloaded into a dynamic sntp-udp linked
# from the build's objects). Every host has its own copy of the secret,
# made once at set-up and never touched again (checked: hashes, mtimes,
# nothing else in its directory). --nts-rotate=2: a period of 2 s.
# Counts come from each host's state file (--state-dir, read with
# --stats as the metrics writer does: key exchanges and cookies from
# nts-ke-tcp's, NTS answers and NAKs from sntp-udp's), and the master
# secret's fingerprint from there too, without the secret; the logs
# (-v) are checked besides. Teardown kills what runs in the namespaces
# (by PID) and deletes them, even on failure.

load ../helpers/common
load ../helpers/core-lib
load ../helpers/ntske

FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	# A certificate for the KE host's address, 198.51.100.2.
	ntske_cert_for 198.51.100.2 ke
	# The clock-ahead host's sntp-udp: dynamic, for the preload.
	dynamic_build "$BATS_FILE_TMPDIR" sntp-udp
}

# host NAME NET: a namespace $P-NAME, NET.2 on its end of a veth, NET.1
# on the client's ($NS).
host() {
	local ns=$P-$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$NS" link add "c-$1" type veth peer name "h-$1" netns "$ns"
	ip -n "$NS" addr add "$2.1/24" dev "c-$1"
	ip -n "$ns" addr add "$2.2/24" dev "h-$1"
	ip -n "$NS" link set "c-$1" up
	ip -n "$ns" link set "h-$1" up
	ip -n "$ns" route add default via "$2.1"
}

setup() {
	require_root
	[ -e "$FAKETIME_LIB" ] || fail "libfaketime missing (scripts/deps: faketime)"
	P=sockclock-fleet-$$-$BATS_TEST_NUMBER
	# The client side: $NS (sockclock-fleet-cli-$$-N), nsx, netns_teardown.
	netns_lo sockclock-fleet-cli
	host ke 198.51.100
	host ntp1 203.0.113
	host ntp2 192.0.2
	host ntp3 198.18.3
	host ntp4 198.18.4
	# The secret, made once, copied to each host of the fleet; host 3
	# gets one of its own.
	D=$BATS_TEST_TMPDIR/hosts
	local h
	for h in ke ntp1 ntp2 ntp3 ntp4; do
		mkdir -p -m 700 "$D/$h" "$D/state/$h"
	done
	"$BIN/nts-ke-tcp" --make-master-key="$D/ke/master" 2>/dev/null
	for h in ntp1 ntp2 ntp4; do cp "$D/ke/master" "$D/$h/master"; done
	"$BIN/nts-ke-tcp" --make-master-key="$D/ntp3/master" 2>/dev/null
	SUMS=$(cd "$D" && sha256sum */master && stat -c '%n %Y.%y' */master)
}

teardown() {
	netns_teardown
	netns_del "$P-ke" "$P-ntp1" "$P-ntp2" "$P-ntp3" "$P-ntp4"
}

# in HOST CMD...: run CMD in the host's namespace, logging to
# $D/HOST.log, in the background (ended by teardown, by PID).
in_bg() {
	local h=$1 ns=$P-$1; shift
	[ "$h" = cli ] && ns=$NS
	ip netns exec "$ns" "$@" >>"$D/$h.log" 2>&1 &
	SERVER_PIDS+=($!)
}

ke() { # PORT NTP-ADDRESS: a listening nts-ke-tcp on PORT naming that host
	in_bg ke systemd-socket-activate -l "0.0.0.0:$1" "$BIN/nts-ke-tcp" \
		--cert="$BATS_FILE_TMPDIR/ke.crt" --key="$BATS_FILE_TMPDIR/srv.key" \
		--nts-master-key="$D/ke/master" --nts-rotate=2 --ntp-server="$2" \
		--idle-timeout=120 -v --state-dir="$D/state/ke"
}

ntp() { # HOST [PROGRAM-PREFIX...]: sntp-udp on port 123 with the host's copy
	local h=$1; shift
	in_bg "$h" systemd-socket-activate --datagram -l 0.0.0.0:123 "$@" \
		"${SNTP:-$BIN/sntp-udp}" --nts-master-key="$D/$h/master" --nts-rotate=2 \
		--assume-synchronized --idle-timeout=120 --rate-limit=0 -v \
		--state-dir="$D/state/$h"
}

listening() { # HOST PORT tcp|udp
	local i f=-Hlnt
	[ "$3" = udp ] && f=-Hlnu
	for i in $(seq 100); do
		ip netns exec "$P-$1" ss $f "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on $1:$2"
}

count() { # HOST ERE: lines of the host's log
	grep -Ec -- "$2" "$D/$1.log" 2>/dev/null || true
}

# The secrets were never written: same bytes, same mtime, alone.
secrets_untouched() {
	[ "$(cd "$D" && sha256sum */master && stat -c '%n %Y.%y' */master)" = "$SUMS" ] ||
		fail "a master file changed"
	local h
	for h in ke ntp1 ntp2 ntp3 ntp4; do
		[ "$(ls -A "$D/$h")" = master ] || fail "$h: $(ls -A "$D/$h")"
	done
}

# A key exchange with the KE on PORT from the client: sets C2S, S2C, COOKIE.
exchange() {
	local out
	out=$(nsx "$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" --cookies \
		198.51.100.2 "$1") || fail "key exchange: $out"
	C2S=$(sed -n 's/^c2s: //p' <<<"$out")
	S2C=$(sed -n 's/^s2c: //p' <<<"$out")
	COOKIE=$(sed -n 's/^cookie: //p' <<<"$out" | head -n 1)
}

nts_to() { # ADDRESS [client args]
	local a=$1; shift
	nsx $PY "$TOP/tests/helpers/nts_client.py" --host "$a" --port 123 \
		--cookie "$COOKIE" --c2s "$C2S" --s2c "$S2C" "$@"
}

prog_of() { # HOST: the program it runs
	if [ "$1" = ke ]; then echo nts-ke-tcp; else echo sntp-udp; fi
}

stat_of() { # HOST NAME [FORMAT]: NAME's value in the host's --stats,
	# read from its state file alone (no --nts-master-key: the secret is
	# not read, as by the metrics writer)
	"$BIN/$(prog_of "$1")" --state-dir="$D/state/$1" --stats 2>/dev/null |
		sed -n "s/^$2: //p"
}

wait_stat() { # HOST NAME VALUE: until NAME reads VALUE, at most 10 s
	local i
	for i in $(seq 100); do
		[ "$(stat_of "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	fail "$1: $2 $(stat_of "$1" "$2"), want $3: $("$BIN/$(prog_of "$1")" --state-dir="$D/state/$1" --stats 2>&1)"
}

# The master secret's fingerprint as HOST's --stats and --stats=prometheus
# give it (the two must agree, the metric's role new).
fpr_stats() {
	local f prog
	prog=$(prog_of "$1")
	f=$(stat_of "$1" nts-master-key-fingerprint)
	# (Called in $(...), where a failure does not end the test: the
	# status does, so each check returns it.)
	[ -n "$f" ] || { fail "$1: no fingerprint in --stats"; return 1; }
	"$BIN/$prog" --state-dir="$D/state/$1" --stats=prometheus |
		grep -qx "sockclock_nts_master_key_info{program=\"$prog\",fingerprint=\"$f\",role=\"new\"} 1" ||
		{ fail "$1: not the metric of $f: $("$BIN/$prog" --state-dir="$D/state/$1" --stats=prometheus | grep master)"; return 1; }
	echo "$f"
}

fpr_of() { # HOST: the fingerprint in its log
	grep -Eo 'fingerprint:? [0-9a-f]{16}' "$D/$1.log" | head -n 1 | grep -Eo '[0-9a-f]{16}'
}

# Wait (at most a period) until the real clock is LO to HI seconds into
# a 2 s period.
at_phase() {
	local i
	for i in $(seq 100); do
		awk -v t="$(date +%s.%N)" -v lo="$1" -v hi="$2" \
			'BEGIN { f = t - 2 * int(t / 2); exit !(f >= lo && f < hi) }' && return 0
		sleep 0.03
	done
	fail "never $1 to $2 s into a period"
}

ANSWERED='NTS request answered'
auth() { # HOST: its authenticated answers, by its counters
	local n
	n=$(stat_of "$1" authenticated-answered)
	echo "${n:-0}"
}
NAKED='NTS NAK sent'

@test "fleet: two chronyd -x, the KE host sending each to its own NTP host, stay authenticated over 5 periods of 2 s: one key exchange each, no NAK, nothing written" {
	ke 4460 203.0.113.2
	ke 4461 192.0.2.2
	ntp ntp1
	ntp ntp2
	listening ke 4460 tcp; listening ke 4461 tcp
	listening ntp1 123 udp; listening ntp2 123 udp
	local c h
	for c in 1 2; do
		mkdir -p "$D/chrony$c"
		# A poll of 0.25 s: chronyd keeps 8 cookies and uses each once,
		# oldest first, so a cookie is spent 2 s after it came, within
		# the window (the current period and the two before).
		printf '%s\n' "server 198.51.100.2 nts ntsport $((4459 + c)) minpoll -2 maxpoll -2 iburst" \
			"ntstrustedcerts $BATS_FILE_TMPDIR/ca.crt" nosystemcert 'cmdport 0' 'port 0' \
			"pidfile $D/chrony$c/chronyd.pid" >"$D/chrony$c/conf"
		# -x: the clock is never touched.
		in_bg "cli" chronyd -d -x -u root -f "$D/chrony$c/conf"
	done
	# Both hosts answer NTS (their counters); from then on, 5.5 periods.
	local i
	for i in $(seq 300); do
		[ "$(auth ntp1)" -ge 1 ] && [ "$(auth ntp2)" -ge 1 ] && break
		sleep 0.1
	done
	[ "$(auth ntp1)" -ge 1 ] && [ "$(auth ntp2)" -ge 1 ] ||
		fail "no NTS answer in 30 s: $(tail -n 5 "$D"/*.log)"
	sleep 11
	# Still authenticated after them: more answers on each host.
	local n1 n2
	n1=$(auth ntp1); n2=$(auth ntp2)
	for i in $(seq 150); do
		[ "$(auth ntp1)" -ge $((n1 + 2)) ] && [ "$(auth ntp2)" -ge $((n2 + 2)) ] && break
		sleep 0.1
	done
	[ "$(auth ntp1)" -ge $((n1 + 2)) ] && [ "$(auth ntp2)" -ge $((n2 + 2)) ] ||
		fail "no longer answered after 5 periods: $(tail -n 5 "$D"/*.log)"
	# One key exchange each, by nts-ke-tcp's counters (its two processes
	# share the host's state file): 2 exchanges, 16 cookies, none
	# refused; in its log, both from the client. No NAK anywhere, by
	# sntp-udp's counters and logs.
	wait_stat ke exchanges-completed 2
	[ "$(stat_of ke cookies-issued)" = 16 ] && [ "$(stat_of ke exchanges-refused)" = 0 ] ||
		fail "KE counters: $("$BIN/nts-ke-tcp" --state-dir="$D/state/ke" --stats 2>&1)"
	[ "$(count ke 'keys and 8 cookies sent \(peer 198\.51\.100\.1')" = 2 ] ||
		fail "key exchanges: $(grep -c "cookies sent" "$D/ke.log"): $(grep -v Exec "$D/ke.log" "$D/ntp1.log" | tail -n 30)"
	for h in ntp1 ntp2; do
		[ "$(stat_of $h nts-naks-sent)" = 0 ] && [ "$(stat_of $h nts-cookies-unknown-key)" = 0 ] ||
			fail "$h: NAKs $(stat_of $h nts-naks-sent), unknown key $(stat_of $h nts-cookies-unknown-key)"
	done
	[ "$(count ntp1 "$NAKED")" = 0 ] && [ "$(count ntp2 "$NAKED")" = 0 ] ||
		fail "NAKs: $(count ntp1 "$NAKED") and $(count ntp2 "$NAKED")"
	# Each NTP host answered its own client only (sources 203.0.113.1
	# and 192.0.2.1: the addresses of cli facing each).
	[ "$(count ntp1 "$ANSWERED.*192\.0\.2\.1")" = 0 ] || fail "ntp1 saw client 2"
	# One fingerprint on all three hosts, by their --stats (and logs).
	local f f1 f2
	f=$(fpr_stats ke); f1=$(fpr_stats ntp1); f2=$(fpr_stats ntp2)
	[ "$f1" = "$f" ] && [ "$f2" = "$f" ] && [ "$(fpr_of ke)" = "$f" ] ||
		fail "fingerprints: ke $f ntp1 $f1 ntp2 $f2 (ke's log $(fpr_of ke))"
	echo "# fleet (counters): exchanges $(stat_of ke exchanges-completed), cookies $(stat_of ke cookies-issued), NAKs ntp1 $(stat_of ntp1 nts-naks-sent) ntp2 $(stat_of ntp2 nts-naks-sent), NTS answers ntp1 $(auth ntp1) ntp2 $(auth ntp2), fingerprint $f" >&3
	# Rotated in step: after these periods (chronyd, once its first
	# cookies are spent, only presents the NTP hosts' own), a fresh key
	# exchange's cookie opens on both, and the new cookies they send are
	# of the KE host's period (or the next, a turn in between).
	local a ke_p p
	exchange 4460
	ke_p=$((16#${COOKIE:4:4}))
	for a in 203.0.113.2 192.0.2.2; do
		run nts_to "$a" --new-cookie "$D/new"
		assert_output --regexp '^good .* kind=nts uid-echoed=yes '
		p=$((16#$(cut -c 5-8 "$D/new")))
		[ "$(cut -c 1-4 "$D/new")" = "${COOKIE:0:4}" ] && [ $(( (p - ke_p) & 0xffff )) -le 1 ] ||
			fail "$a: new cookie $(cut -c 1-8 "$D/new"), the KE host's ${COOKIE:0:8}"
	done
	secrets_untouched
}

@test "fleet: an NTP host with another secret NAKs the KE host's cookies, and its fingerprint differs" {
	ke 4460 203.0.113.2
	ntp ntp1
	ntp ntp3
	listening ke 4460 tcp; listening ntp1 123 udp; listening ntp3 123 udp
	exchange 4460
	run nts_to 198.18.3.2
	assert_output --regexp '^good .* kind=nak uid-echoed=yes '
	run nts_to 203.0.113.2
	assert_output --regexp '^good .* kind=nts uid-echoed=yes '
	[ "$(count ntp3 "$NAKED")" = 1 ] || fail "$(cat "$D/ntp3.log")"
	[ "$(stat_of ntp3 nts-naks-sent)" = 1 ] && [ "$(stat_of ntp1 nts-naks-sent)" = 0 ] &&
		[ "$(stat_of ntp1 authenticated-answered)" = 1 ] ||
		fail "counters: ntp3 $("$BIN/sntp-udp" --state-dir="$D/state/ntp3" --stats 2>&1)"
	# The odd host's fingerprint differs, by --stats and by the logs.
	local f3 f
	f=$(fpr_stats ke); f3=$(fpr_stats ntp3)
	[ "$f3" != "$f" ] && [ "$(fpr_of ntp3)" = "$f3" ] || fail "fingerprints: ke $f ntp3 $f3"
	[ "$(fpr_stats ntp1)" = "$f" ] || fail "ntp1 $(fpr_stats ntp1), ke $f"
	secrets_untouched
}

@test "fleet: an NTP host whose clock is half a period ahead opens the KE host's cookies, and the cookies it gives open on a host on time" {
	# The preloaded clock is ahead: checked on the program itself.
	local before shown
	before=$(date +%s.%N)
	shown=$(FAKETIME=+1s FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=$FAKETIME_LIB \
		"$BATS_FILE_TMPDIR/sntp-udp" --dump </dev/null | sed -n 's/^transmit: [0-9a-f.]* //p')
	awk -v a="$before" -v b="$(date -d "$shown" +%s.%N)" 'BEGIN { d = b - a; exit !(d > 0.9 && d < 1.5) }' ||
		fail "faketime: $shown against $before"
	ke 4460 203.0.113.2
	ntp ntp1
	SNTP=$BATS_FILE_TMPDIR/sntp-udp ntp ntp4 env FAKETIME=+1s FAKETIME_DONT_FAKE_MONOTONIC=1 \
		LD_PRELOAD="$FAKETIME_LIB"
	listening ke 4460 tcp; listening ntp1 123 udp; listening ntp4 123 udp
	# Until both cases were seen (at most 10 tries, timed in turn for
	# each): the host ahead in the period of the host on time, and
	# already in the next one, where its cookies are of a period the host
	# on time has not reached (its next key). Each try: a key exchange,
	# the KE host's cookie to the host ahead, at once its new cookie to
	# the host on time (tests/helpers/nts_pair.py: milliseconds apart);
	# the case is read from the key ids (their low 16 bits: the period)
	# of the new cookies each sent.
	local i same=0 next=0 ahead_id on_time_id
	for i in $(seq 10); do
		# The key exchange and the client's start take about 0.6 s
		# here: the pair's requests go about that long after the wait.
		if [ $((i % 2)) = 1 ]; then at_phase 0.4 0.6; else at_phase 1.4 1.6; fi
		exchange 4460
		run nsx $PY "$TOP/tests/helpers/nts_pair.py" 198.18.4.2 203.0.113.2 123 \
			"$COOKIE" "$C2S" "$S2C"
		[ "${#lines[@]}" = 2 ] && [[ ${lines[0]} == *" kind=nts uid-echoed=yes "* ]] &&
			[[ ${lines[1]} == *" kind=nts uid-echoed=yes "* ]] ||
			fail "try $i: ahead, then on time: $output (the KE host's cookie ${COOKIE:0:8}, now $(date +%s.%N))"
		ahead_id=$((16#${lines[0]: -4}))
		on_time_id=$((16#${lines[1]: -4}))
		case $(( (ahead_id - on_time_id) & 0xffff )) in
		0) same=$((same + 1)) ;;
		1) next=$((next + 1)) ;;
		esac
		[ "$same" -ge 1 ] && [ "$next" -ge 1 ] && break
	done
	[ "$same" -ge 1 ] && [ "$next" -ge 1 ] || fail "cases: same period $same, next $next"
	[ "$(count ntp4 "$NAKED")" = 0 ] && [ "$(count ntp1 "$NAKED")" = 0 ]
	[ "$(stat_of ntp4 nts-naks-sent)" = 0 ] && [ "$(stat_of ntp1 nts-naks-sent)" = 0 ] ||
		fail "NAKs: ahead $(stat_of ntp4 nts-naks-sent), on time $(stat_of ntp1 nts-naks-sent)"
	[ "$(fpr_of ntp4)" = "$(fpr_of ke)" ] && [ "$(fpr_stats ntp4)" = "$(fpr_stats ke)" ]
	echo "# fleet, a clock 1 s ahead: tries in the period of the host on time $same, in the next $next; NTS answers ahead $(auth ntp4), on time $(auth ntp1), NAKs 0" >&3
	secrets_untouched
}
