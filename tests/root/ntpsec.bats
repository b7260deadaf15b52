#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Root only: ntpsec's ntpd as an NTS client of sockclock (issue 21, real
# clients). ntpsec is unpacked in build/ntpsec by scripts/deps, never
# installed (it would remove chrony). Two network namespaces joined by
# a veth: SRV (192.0.2.1) runs chronyd -x (`local stratum 1`, command
# port 127.0.0.1:323, no NTP port, no Unix socket), sntp-udp on port 123
# and nts-ke-tcp on 4460 under systemd-socket-activate; CLI (192.0.2.2)
# runs ntpd in a user namespace of its own, where clock_adjtime fails
# (asserted): it can neither step nor slew the host's clock. ntpd
# refuses servers in 127/8, hence the veth. Its configuration is the
# NTS server line, the CA, `tos minsane 1` and a poll of 8 s: no other
# source, nothing that changes how it judges a server's header.
# Teardown ends what runs in both namespaces (by PID) and deletes them.

load ../helpers/common
load ../helpers/core-lib
load ../helpers/ntske

NTPSEC=$TOP/build/ntpsec

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	"$TOP/scripts/deps" ntpsec >&2 || return 1
	local d=$BATS_FILE_TMPDIR
	ntske_certs "$d" >"$d/certtool.log" 2>&1 || { cat "$d/certtool.log" >&2; return 1; }
	# The server's certificate names 192.0.2.1 as an IP address and as
	# a DNS name (ntpd's log shows it checking "SAN:DNS 192.0.2.1"; a
	# certificate with the IP address alone was not tried).
	sed -e 's/127.0.0.1/192.0.2.1/g' -e 's/^dns_name = .*/dns_name = "192.0.2.1"/' \
		"$d/srv.tmpl" >"$d/ip.tmpl"
	certtool --generate-certificate --load-privkey "$d/srv.key" \
		--load-ca-certificate "$d/ca.crt" --load-ca-privkey "$d/ca.key" \
		--template "$d/ip.tmpl" --outfile "$d/ip.crt" >/dev/null 2>&1
	cc -O2 -Wall -Wextra -Werror -o "$d/clockprobe" "$TOP/tests/helpers/clockprobe.c"
}

setup() {
	require_root
	D=$BATS_TEST_TMPDIR
	P=sockclock-ntpsec-$$-$BATS_TEST_NUMBER
	local n
	for n in srv cli; do ip netns add "$P-$n"; ip -n "$P-$n" link set lo up; done
	ip -n "$P-cli" link add c0 type veth peer name s0 netns "$P-srv"
	ip -n "$P-cli" addr add 192.0.2.2/24 dev c0
	ip -n "$P-srv" addr add 192.0.2.1/24 dev s0
	ip -n "$P-cli" link set c0 up
	ip -n "$P-srv" link set s0 up
	# ntpd binds port 123 from a user namespace, which holds no
	# capability over this network namespace (the initial one owns it).
	ip netns exec "$P-cli" sysctl -qw net.ipv4.ip_unprivileged_port_start=0
	mkdir -m 700 "$D/state"
}

teardown() {
	stop_servers
	netns_del "$P-cli" "$P-srv"
	no_sanitizer_report
}

srv() { ip netns exec "$P-srv" "$@"; }
cli() { ip netns exec "$P-cli" "$@"; }

# The unpacked ntpq (Debian's python, the unpacked ntp module) against
# ntpd in CLI, numeric.
ntpq() {
	cli env PYTHONPATH="$NTPSEC/usr/lib/python3/dist-packages" \
		$PY "$NTPSEC/usr/bin/ntpq" -n "$@" 127.0.0.1
}

# chronyd in SRV: a stratum-1 reference of its own, never touching the
# clock (-x); only its command port, on 127.0.0.1:323, where sntp-udp's
# --upstream=auto looks.
start_chronyd() {
	cat >"$D/chrony.conf" <<-EOF
		local stratum 1
		bindcmdaddress 127.0.0.1
		bindcmdaddress /
		cmdport 323
		port 0
		pidfile $D/chronyd.pid
	EOF
	srv chronyd -x -u root -f "$D/chrony.conf" -L 0 -l "$D/chronyd.log"
	local i
	for i in $(seq 60); do
		srv chronyc -h 127.0.0.1 -p 323 -n tracking 2>/dev/null |
			grep -Eq '^Stratum +: 1$' && return 0
		sleep 0.5
	done
	fail "chronyd never said stratum 1: $(cat "$D/chronyd.log")"
}

# sntp-udp on 192.0.2.1:123 (extra options appended) and nts-ke-tcp on
# 192.0.2.1:4460, one process per connection; they share a key file.
start_sockclock() {
	local d=$BATS_FILE_TMPDIR
	start_bg srv systemd-socket-activate --datagram -l 192.0.2.1:123 \
		"$BIN/sntp-udp" --state-dir="$D/state" --nts-keys="$D/nts-keys" \
		--idle-timeout=600 -v "$@"
	start_bg srv systemd-socket-activate --accept -l 192.0.2.1:4460 \
		"$BIN/nts-ke-tcp" --cert="$d/ip.crt" --key="$d/srv.key" \
		--nts-keys="$D/nts-keys" -v
	local i
	for i in $(seq 50); do
		srv ss -Hlnu 'sport = :123' | grep -q . &&
			srv ss -Hlnt 'sport = :4460' | grep -q . && return 0
		sleep 0.1
	done
	fail "sockclock does not listen in $P-srv"
}

# ntpd in CLI, in a user namespace of its own (root there, nothing
# outside): first the probe shows that clock_adjtime fails there.
start_ntpd() {
	run cli unshare --user --map-root-user "$BATS_FILE_TMPDIR/clockprobe"
	assert_success
	assert_output EPERM
	cat >"$D/ntp.conf" <<-EOF
		server 192.0.2.1 nts iburst minpoll 3 maxpoll 3
		nts ca $BATS_FILE_TMPDIR/ca.crt
		tos minsane 1
		driftfile $D/ntp.drift
		logfile $D/ntpd.log
		restrict 127.0.0.1
	EOF
	# (ntpsec answers ntpq only where a restrict line allows it.)
	start_bg cli unshare --user --map-root-user "$NTPSEC/usr/sbin/ntpd" -n \
		-c "$D/ntp.conf" -p "$D/ntpd.pid"
}

# NTS packets ntpd received and authenticated, from `ntpq -c nts`.
nts_good() {
	ntpq -c nts 2>/dev/null | sed -n 's/^NTS client recvs good: *//p'
}

@test "ntpd (NTS, default sntp-udp options, chronyd in the namespace) selects sockclock as its system peer" {
	start_chronyd
	start_sockclock
	start_ntpd
	# Up to 90 s (9 s here; ntpq itself takes seconds on a busy host).
	local line= t0 t1
	t0=$(now_s)
	while :; do
		line=$(ntpq -p 2>/dev/null | grep 192.0.2.1) || true
		t1=$(now_s)
		[[ $line == \** ]] && break
		awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a > 90) }' && break
		sleep 0.5
	done
	echo "# ntpq -p after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s: $line" >&3
	[[ $line == \** ]] ||
		fail "ntpd never selected 192.0.2.1: $line $(ntpq -c 'rv &1' 2>&1; cat "$D/ntpd.log")"
	# ntpd ran where it could not set the clock, and said so.
	grep -q 'Operation not permitted' "$D/ntpd.log"
	# Authenticated by NTS, none refused.
	run ntpq -c nts
	echo "$output" | grep 'NTS client' | sed 's/^/# /' >&3
	assert_line --regexp '^NTS client recvs good: +[1-9][0-9]*$'
	assert_line --regexp '^NTS client recvs w error: +0$'
	# The stratum in the line is chronyd's (sntp-udp serves the clock
	# chronyd disciplines), and ntpd is one below it.
	[ "$(awk '{ print $3 }' <<<"$line")" = 1 ] || fail "not chronyd's stratum: $line"
	run ntpq -c 'rv 0 stratum'
	assert_output --partial 'stratum=2'
	# chronyd answered sntp-udp (its source at this moment may be none
	# for a while: a later query can miss its 1 ms wait on a busy host,
	# and the view is believed 16 s).
	run srv "$BIN/sntp-udp" --state-dir="$D/state" --stats
	assert_line --regexp '^upstream-refreshes: [1-9][0-9]*$'
}

# The issue's point: at stratum 15 (--upstream=kernel with no --stratum)
# ntpd authenticates every reply and still never selects the server,
# flash pkt_stratum (its tos ceiling is 15). --assume-synchronized so
# that stratum 15 is served whatever the host's kernel says (an
# unsynchronised host would give LI 3, refused for another reason).
@test "ntpd does not select sntp-udp --upstream=kernel (stratum 15): authenticated, flash pkt_stratum" {
	start_sockclock --upstream=kernel --assume-synchronized
	run cli $PY "$TOP/tests/helpers/ntp.py" 123 --host 192.0.2.1
	assert_output --partial ' stratum=15 '
	start_ntpd
	# As many authenticated replies as ntpd took to select a server at
	# a stratum it accepts (the first test: 5 or fewer).
	# Up to 120 s (about 50 s here: ntpd polls every 8 s).
	local n=0 t0
	t0=$(now_s)
	while :; do
		n=$(nts_good)
		[ "${n:-0}" -ge 6 ] && break
		awk -v a="$t0" -v b="$(now_s)" 'BEGIN { exit !(b - a > 120) }' && break
		sleep 0.5
	done
	[ "${n:-0}" -ge 6 ] || fail "only ${n:-0} NTS replies: $(cat "$D/ntpd.log")"
	run ntpq -p
	echo "# ntpq -p after $n authenticated replies: $(grep 192.0.2.1 <<<"$output")" >&3
	refute_line --regexp '^[*+#o] ?192\.0\.2\.1'
	run ntpq -c 'rv &1 reach,flash'
	echo "# $output" >&3
	assert_output --partial 'reach=000'
	assert_output --partial 'pkt_stratum'
}
