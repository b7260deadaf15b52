#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The shipped xinetd files in the real xinetd: installed with make
# install, copied with only the ports changed (and "disable = no"), and
# the UDP programs' --state-dir in a directory of the test's (made by
# systemd-tmpfiles from the installed tmpfiles.d file, under the test's
# root), queried by real clients. Root: xinetd switches to the users the
# files name; make install adds them (systemd-sysusers, SYSUSERS=) to a
# copy of /etc/passwd and /etc/group that xinetd sees in a mount
# namespace of its own (helpers/xinetd-conf.bash): the host gets no user.
load ../helpers/common
load ../helpers/sys-burst
load ../helpers/xinetd-conf

CTIME='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'$'\r''$'

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	# Readable by nobody, unlike the bats temporary directories.
	X=$(mktemp -d /tmp/sockclock-xinetd.XXXXXX)
	xinetd_install "$X"
	TCP_PORT=$(free_port tcp) UDP_PORT=$(free_port udp) NTP_PORT=$(free_port udp)
	BUILTIN_PORT=$(free_port tcp)
	mkdir "$X/xinetd.d"
	local f port
	for f in daytime-tcp daytime-udp sntp-udp; do
		case $f in
		daytime-tcp) port=$TCP_PORT ;; daytime-udp) port=$UDP_PORT ;; sntp-udp) port=$NTP_PORT ;;
		esac
		# The UDP programs idle out after 5 s, not 10, so that the
		# several-activations test waits 10 s for its two exits, not 20
		# (2 s was too short to look at them on a busy host).
		local idle=()
		[ "$f" = daytime-tcp ] ||
			idle=(-e "s|^\(\tserver_args\t= .*\)\$|\1 --idle-timeout=5 --state-dir=$X/root/run/sockclock/$f|")
		sed -e "s/^\(\tport\t\t= \).*/\1$port/" -e 's/^\(\tdisable\t\t= \)yes/\1no/' \
			"${idle[@]}" "$X/installed/sockclock-$f" >"$X/xinetd.d/sockclock-$f"
	done
	# The sanitizer build: LeakSanitizer's scan at exit keeps each
	# daytime-tcp alive some 10-50 ms after the client has its line and
	# has closed, so xinetd counts more than per_source (32) servers for
	# a client with 8 connections in flight and closes the rest. Leaks
	# are checked in the other suites (xinetd passes no ASAN_OPTIONS, so
	# a leak here would go unseen anyway); here the scan is off.
	if [[ $BIN == */build/asan ]]; then
		sed -i 's/^}$/\tenv\t\t= ASAN_OPTIONS=detect_leaks=0\n}/' "$X/xinetd.d/sockclock-daytime-tcp"
	fi
	# The shipped UDP files again, with only 127.0.0.1 in their --allow
	# (only_from unchanged: 127.0.0.2 may start the program).
	ALLOW_UDP_PORT=$(free_port udp) ALLOW_NTP_PORT=$(free_port udp)
	for f in daytime-udp sntp-udp; do
		case $f in
		daytime-udp) port=$ALLOW_UDP_PORT ;; sntp-udp) port=$ALLOW_NTP_PORT ;;
		esac
		sed -e "s/^\(\tport\t\t= \).*/\1$port/" -e 's/^\(\tdisable\t\t= \)yes/\1no/' \
			-e "s/sockclock-$f/sockclock-allow-$f/" \
			-e 's|^\(\tserver_args\t= --allow=\)[^ ]*|\1127.0.0.1/32|' \
			-e "s|^\(\tserver_args\t= .*\)\$|\1 --state-dir=$X/root/run/sockclock/$f|" \
			"$X/installed/sockclock-$f" >"$X/xinetd.d/sockclock-allow-$f"
		grep -q -E "allow=127.0.0.1/32( |\$)" "$X/xinetd.d/sockclock-allow-$f" || return 1
	done
	# xinetd's own daytime, to compare with --format=xinetd.
	cat >"$X/xinetd.conf" <<-CONF
	defaults
	{
	}
	service daytime
	{
		type		= INTERNAL UNLISTED
		id		= daytime-stream
		socket_type	= stream
		protocol	= tcp
		port		= $BUILTIN_PORT
		user		= root
		wait		= no
	}
	includedir $X/xinetd.d
	CONF
	export X TCP_PORT UDP_PORT NTP_PORT BUILTIN_PORT ALLOW_UDP_PORT ALLOW_NTP_PORT
	xinetd_start "$X" "$TCP_PORT" "$UDP_PORT" "$NTP_PORT" "$BUILTIN_PORT" "$ALLOW_UDP_PORT" "$ALLOW_NTP_PORT"
}

teardown_file() {
	[ -z "${X:-}" ] || xinetd_stop "$X"
}

setup() {
	require_root
}

teardown() {
	# A burst left by a failed test: released, so that it ends.
	if [ -n "${BURST_PID:-}" ]; then
		touch "$BURST_RELEASE"
		wait "$BURST_PID" || true
	fi
	stop_servers
}

@test "the installed xinetd files name the installed programs and ship disabled" {
	for f in daytime-tcp daytime-udp sntp-udp; do
		run grep -E "^\s*(server|disable|id)\s" "$X/installed/sockclock-$f"
		assert_line --regexp "id\s+= sockclock-$f\$"
		assert_line --regexp "server\s+= $X/sbin/$f\$"
		assert_line --regexp "disable\s+= yes"
		assert_file_executable "$X/sbin/$f"
	done
	# Each program with state as its own user (daytime-tcp
	# has none); sntp-udp with the supplementary group of the NTS key
	# file (xinetd sets none without groups = yes). No --state-dir: the
	# default, /run/sockclock/PROGRAM, is the directory tmpfiles.d makes.
	run grep -h -E "^\s*user\s" "$X/installed/sockclock-daytime-tcp" \
		"$X/installed/sockclock-daytime-udp" "$X/installed/sockclock-sntp-udp" \
		"$X/installed/sockclock-nts-ke-tcp"
	assert_output "$(printf '\tuser\t\t= %s\n' nobody sockclock-daytime sockclock-sntp sockclock-ntske)"
	run grep -h -E "^\s*groups\s" "$X/installed/sockclock-sntp-udp"
	assert_output "$(printf '\tgroups\t\t= yes')"
	run grep -h -e --state-dir "$X"/installed/sockclock-*
	assert_output ""
	run grep -v '^#' "$X/lib/tmpfiles.d/sockclock.conf"
	assert_line --regexp '^d /run/sockclock/daytime-udp +0700 sockclock-daytime +sockclock-daytime +-$'
	assert_line --regexp '^d /run/sockclock/sntp-udp +0700 sockclock-sntp +sockclock-sntp +-$'
	assert_line --regexp '^d /var/lib/sockclock +0750 sockclock-ntske +sockclock-nts-keys +-$'
}

@test "daytime-tcp answers through xinetd over IPv4 and IPv6" {
	run socat -T5 - TCP4:127.0.0.1:$TCP_PORT
	assert_success
	assert_output --regexp "$CTIME"
	run socat -T5 - TCP6:[::1]:$TCP_PORT
	assert_success
	assert_output --regexp "$CTIME"
}

@test "--format=xinetd has the layout of xinetd's builtin daytime" {
	run socat -T5 - TCP4:127.0.0.1:$BUILTIN_PORT
	assert_success
	local builtin=$output
	run "$BIN/daytime-tcp" --format=xinetd
	assert_success
	local ours=$output re='^[0-9]{2} [A-Z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Z+0-9-]+'$'\r''?$'
	[[ $builtin =~ $re ]] || fail "builtin: $builtin"
	[[ $ours =~ $re ]] || fail "ours: $ours"
	# Same layout: the same characters, digits masked.
	assert_equal "${ours//[0-9]/9}" "${builtin//[0-9]/9}"
}

@test "daytime-udp answers through xinetd over IPv4 and IPv6" {
	run socat -T5 - UDP4:127.0.0.1:$UDP_PORT <<<"x"
	assert_success
	assert_output --regexp "$CTIME"
	run socat -T5 - UDP6:[::1]:$UDP_PORT <<<"x"
	assert_success
	assert_output --regexp "$CTIME"
}

@test "sntp-udp answers through xinetd (ntplib, and LI and stratum from the kernel)" {
	host_clock
	run $PY -c "
import ntplib, sys
r = ntplib.NTPClient().request('127.0.0.1', port=$NTP_PORT, version=4, timeout=5)
print('leap=%d stratum=%d mode=%d version=%d' % (r.leap, r.stratum, r.mode, r.version))"
	assert_success
	assert_output "leap=$CLOCK_LEAP stratum=$CLOCK_STRATUM mode=4 version=4"
	run ntp "$NTP_PORT" --host ::1
	assert_output --partial "mode=4"
}

@test "the UDP programs answer across several activations (wait = yes), each as its own user with no capability" {
	local i f pids=() uid gid groups
	for i in 1 2; do
		for f in daytime-udp sntp-udp; do
			# Each looked at straight after its own answer (ntp.py returns
			# as the reply arrives, which socat does not), well within its
			# idle time (5 s here); the answer waited for up to 10 s: a
			# request that comes as the last process idles out is answered
			# by the next one, after the exit and a new start (over 2 s
			# under ASan on a busy host).
			local reply port=$NTP_PORT status
			[ $f = sntp-udp ] || port=$UDP_PORT
			reply=$(ntp "$port" --timeout 10 2>&1) || true
			pids+=("$f:$(xinetd_children "$X" $f | head -1)")
			status=$(cat "/proc/${pids[-1]#*:}/status" 2>&1) || true
			if [ $f = daytime-udp ]; then
				[[ $reply == len=2[0-9]* ]] || fail "daytime-udp: $reply"
			else
				[[ $reply == *mode=4* ]] || fail "sntp-udp: $reply"
			fi
			# No capability left after xinetd's setuid; the file's user,
			# its group, and for sntp-udp the NTS key file's group
			# (groups = yes); daytime-udp in no other group.
			run echo "$status"
			assert_output --regexp $'\nCapEff:\t0000000000000000\n'
			assert_output --regexp $'\nCapPrm:\t0000000000000000\n'
			if [ $f = daytime-udp ]; then
				uid=$(xinetd_id "$X" u sockclock-daytime) gid=$(xinetd_id "$X" g sockclock-daytime)
				groups=""
			else
				uid=$(xinetd_id "$X" u sockclock-sntp) gid=$(xinetd_id "$X" g sockclock-sntp)
				groups="$gid $(xinetd_id "$X" g sockclock-nts-keys)"
			fi
			[ -n "$uid" ] || fail "no user for $f"
			echo "# $f: $(grep -E '^(Uid|Gid|Groups):' <<<"$output" | tr '\t\n' '  ')" >&3
			assert_output --regexp $'\nUid:\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\n'
			assert_output --regexp $'\nGid:\t'"$gid"$'\t'"$gid"$'\t'"$gid"$'\t'"$gid"$'\n'
			[ "$(sed -n 's/^Groups:\t*//p' <<<"$output" | tr ' ' '\n' | sort -n | xargs)" = \
				"$(tr ' ' '\n' <<<"$groups" | sort -n | xargs)" ] || fail "$f: groups: $output"
		done
		# Idle: the programs exit, xinetd listens again.
		wait_gone daytime-udp 20
		wait_gone sntp-udp 20
	done
	echo "${pids[*]}"
	for i in 0 1; do
		[[ ${pids[i]} =~ :[0-9]+$ ]] || fail "no process: ${pids[*]}"
		[ "${pids[i]}" != "${pids[i + 2]}" ] || fail "not two activations: ${pids[*]}"
	done
}

# Each UDP program's state in its own directory (made
# by tmpfiles.d, as on a real host), its user's alone; with daytime-udp's
# identity (read from its running process) sntp-udp's state can be
# neither changed nor replaced. Before, daytime-udp ran as nobody.
@test "each UDP program's state is its user's alone; daytime-udp's identity cannot write sntp-udp's" {
	local f u g groups pid ids
	run ntp "$NTP_PORT"
	assert_output --partial "mode=4"
	run socat -T5 - UDP4:127.0.0.1:$UDP_PORT <<<"x"
	assert_output --regexp "$CTIME"
	pid=$(xinetd_children "$X" daytime-udp | head -1)
	[ -n "$pid" ] || fail "daytime-udp is not running after a request"
	ids=$(awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 } /^Groups:/ { $1 = ""; s = $0 }
		END { gsub(/^ +| +$/, "", s); gsub(/ +/, ",", s); print u, g, s }' "/proc/$pid/status")
	for f in daytime-udp sntp-udp; do
		u=sockclock-daytime
		[ $f = daytime-udp ] || u=sockclock-sntp
		run stat -c '%a %u' "$X/root/run/sockclock/$f" "$X/root/run/sockclock/$f/$f.state"
		assert_output "700 $(xinetd_id "$X" u $u)"$'\n'"600 $(xinetd_id "$X" u $u)"
	done
	read -r u g groups <<<"$ids"
	echo "# daytime-udp: uid $u gid $g groups ${groups:-none}" >&3
	f=$X/root/run/sockclock/sntp-udp/sntp-udp.state
	local sup=(--clear-groups)
	[ -z "$groups" ] || sup=(--groups="$groups")
	run setpriv --reuid="$u" --regid="$g" "${sup[@]}" \
		sh -c "true >>'$f' && echo 'state written'; true >'${f%/*}/x' && echo 'directory written'; exit 0"
	echo "$output"
	assert_success
	assert_output --partial 'Permission denied'
	refute_output --partial written
}

# xinetd's only_from sees only the datagram that starts a wait = yes
# program; --allow sees every one. 127.0.0.2 starts the program (only_from
# lets it) and gets silence; 127.0.0.1 is answered by that same process;
# 127.0.0.2 straight after gets silence again.
@test "--allow in the xinetd UDP files: a denied source gets no reply, before and after an allowed one" {
	local daytime=(socat -T1 - "UDP4:127.0.0.1:$ALLOW_UDP_PORT")
	run "${daytime[@]},bind=127.0.0.2" <<<"x"
	assert_output ""
	local pid
	pid=$(xinetd_children "$X" daytime-udp "--allow=127.0.0.1/32")
	[ -n "$pid" ] || fail "the denied datagram did not start daytime-udp"
	run "${daytime[@]},bind=127.0.0.1" <<<"x"
	assert_output --regexp "$CTIME"
	run "${daytime[@]},bind=127.0.0.2" <<<"x"
	assert_output ""
	assert_equal "$(xinetd_children "$X" daytime-udp "--allow=127.0.0.1/32")" "$pid"

	run ntp "$ALLOW_NTP_PORT" --src-host 127.0.0.2 --timeout 1
	assert_failure
	assert_output --partial "no reply"
	pid=$(xinetd_children "$X" sntp-udp "--allow=127.0.0.1/32")
	[ -n "$pid" ] || fail "the denied request did not start sntp-udp"
	run ntp "$ALLOW_NTP_PORT" --src-host 127.0.0.1 --timeout 2
	assert_success
	assert_output --partial "mode=4"
	run ntp "$ALLOW_NTP_PORT" --src-host 127.0.0.2 --timeout 1
	assert_failure
	assert_output --partial "no reply"
	assert_equal "$(xinetd_children "$X" sntp-udp "--allow=127.0.0.1/32")" "$pid"
}

@test "the shipped UDP files carry --allow with the systemd sockets' ranges" {
	local want ranges r
	# IPAddressAllow= of the sockets, with systemd's names spelled out
	# (systemd.resource-control(5): localhost, link-local).
	ranges=$(grep -h '^IPAddressAllow=' "$TOP/units/sntp-udp.socket" | cut -d= -f2- | tr ' ' '\n' |
		sed -e 's|^localhost$|127.0.0.0/8\n::1|' -e 's|^link-local$|169.254.0.0/16\nfe80::/64|')
	want=$(sort <<<"$ranges" | tr '\n' ' ')
	for f in daytime-udp sntp-udp; do
		r=$(sed -n 's/^\tserver_args\t= .*--allow=\([^ ]*\).*/\1/p' "$X/installed/sockclock-$f")
		assert_equal "$(tr ',' '\n' <<<"$r" | sort | tr '\n' ' ')" "$want"
		r=$(sed -n 's/^\tonly_from\t= //p' "$X/installed/sockclock-$f")
		assert_equal "$(tr ' ' '\n' <<<"$r" | sort | tr '\n' ' ')" "$want"
	done
	cmp <(grep '^IPAddressAllow=' "$TOP/units/sntp-udp.socket") \
		<(grep '^IPAddressAllow=' "$TOP/units/daytime-udp.socket")
}

# wait_gone NAME SECS: SECS by the clock (pgrep itself is slow
# on a busy host: a count of tries let a program with a 30 s idle time
# pass a 20 s wait).
wait_gone() {
	local end=$((SECONDS + $2))
	while ((SECONDS < end)); do
		[ -n "$(xinetd_children "$X" "$1")" ] || return 0
		sleep 0.1
	done
	[ -n "$(xinetd_children "$X" "$1")" ] || return 0
	fail "$1 still running after $2 s"
}

# xinetd's cps would switch the service off for every source when one
# source passed it; the shipped file has none (cps = 0 0), and bounds the
# host with instances and per_source instead.
@test "500 fast connections from one source, 8 at once, through xinetd: every one a full line" {
	run $PY "$TOP/tests/helpers/tcp_storm.py" "$TCP_PORT" --count 500 --clients 8 --timeout 5
	assert_success
	echo "xinetd, 500 connections, 8 at once: $output" >&3
	assert_output --regexp '^complete=500 refused=0 empty=0 partial=0 hang=0 '
	run grep -c Deactivating "$X/xinetd.log"
	assert_output 0
}

# The good client's handshakes must each finish under the kernel's
# first SYN retransmission (1 s): a refusal, a dropped SYN or a switched
# off service all fail it.
GOOD_MAX=0.9

@test "2000 connections at once from 127.0.0.2: each a line or a close; 127.0.0.1 answered at once meanwhile and after" {
	local burst=$BATS_TEST_TMPDIR/burst ready=$BATS_TEST_TMPDIR/burst-ready
	# The burst's connections past xinetd's backlog hang by design (see
	# below): counted as hung after 6 s, not 15, so the test waits less.
	# The burst runs until this test releases it (BURST_RELEASE; teardown
	# too, if the test fails), however long the probes below take: they
	# overlap the burst whatever the machine's load (a fixed 6 s was
	# over before 30 probes on a busy host).
	BURST_RELEASE=$BATS_TEST_TMPDIR/burst-release
	BURST_READY=$ready BURST_RELEASE=$BURST_RELEASE BURST_HUNG_S=6 \
		tcp_burst 127.0.0.1 "$TCP_PORT" 2000 127.0.0.2 >"$burst" 2>&1 &
	BURST_PID=$!
	# Probes start once all 2000 connections are under way (60 s: the
	# burst's Python opens them in well under a second when idle).
	local i
	for i in $(seq 600); do
		[ -e "$ready" ] && break
		kill -0 "$BURST_PID" 2>/dev/null || fail "the burst ended before it started: $(cat "$burst")"
		sleep 0.1
	done
	[ -e "$ready" ] || fail "the burst had not started its 2000 connections after 60 s"
	# One connection every 0.1 s from the other source while the burst
	# and its SYN retransmissions (at 1 and 3 s) go on.
	local out good=() slow=0 hs
	for i in $(seq 30); do
		out=$($PY "$TOP/tests/helpers/tcp_storm.py" "$TCP_PORT" --count 1 --clients 1 \
			--timeout 5 --source 127.0.0.1)
		good+=("${out##*slowest=}")
		[[ $out == complete=1\ * ]] || fail "127.0.0.1 during the burst: $out"
		# At most one SYN retransmission: xinetd listens with a backlog
		# of 64, and when the burst fills it a handshake of any source
		# may be dropped once (seen 1 in 30). Judged on the handshake
		# alone (the kernel's; a busy host slows the fork and exec after
		# it, 2.0 s in all seen at a load of 70): the retransmissions
		# go at 1 s and 3 s, so one is a handshake of GOOD_MAX or more,
		# two one of 3 s or more.
		hs=$(sed -n 's/.* connect=\([0-9.]*\) .*/\1/p' <<<"$out")
		awk -v t="$hs" -v m=$GOOD_MAX 'BEGIN { exit !(t < m) }' ||
			{ slow=$((slow + 1)); awk -v t="$hs" 'BEGIN { exit !(t < 3) }' ||
				fail "127.0.0.1's handshake took $hs s: more than one SYN retransmission: $out"; }
		sleep 0.1
	done
	kill -0 "$BURST_PID" 2>/dev/null || fail "the burst was over before the other source was done"
	touch "$BURST_RELEASE"
	wait "$BURST_PID"
	BURST_PID=
	local counts
	counts=$(cat "$burst")
	echo "xinetd burst from 127.0.0.2: $counts" >&3
	echo "127.0.0.1 meanwhile, seconds per connection: ${good[*]}" >&3
	# Of the burst itself: never a partial line or anything unexplained;
	# at least per_source whole lines; the rest closed at once (over
	# per_source) or, past xinetd's listen backlog, never accepted: xinetd
	# listens with a backlog of 64 (compiled in), the kernel then answers
	# with SYN cookies and drops the handshakes that find the accept
	# queue full, so some of the bursting source's own connections hang
	# (doc/xinetd.md, "The files"). Reported, and the other source is unharmed.
	[[ $counts =~ ^line=([0-9]+)\ closed=([0-9]+)\ refused=([0-9]+)\ partial=0\ hung=([0-9]+)\ unconnected=([0-9]+)\ other=0$ ]] ||
		fail "burst: $counts"
	((BASH_REMATCH[1] >= 32)) || fail "fewer lines than per_source: $counts"
	assert_equal $((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4] + BASH_REMATCH[5])) 2000
	((slow <= 2)) || fail "$slow of 30 connections from 127.0.0.1 needed a SYN retransmission"
	# Afterwards: answered at once, no service to wait for.
	run $PY "$TOP/tests/helpers/tcp_storm.py" "$TCP_PORT" --count 8 --clients 1 --timeout 5
	echo "after: $output" >&3
	assert_output --regexp '^complete=8 '
	# No handshake dropped (under the first SYN retransmission).
	hs=$(sed -n 's/.* connect=\([0-9.]*\) .*/\1/p' <<<"$output")
	awk -v t="$hs" -v m=$GOOD_MAX 'BEGIN { exit !(t < m) }' || fail "slow after the burst: $output"
	run grep -c Deactivating "$X/xinetd.log"
	assert_output 0
}
