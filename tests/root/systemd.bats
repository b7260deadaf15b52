#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The shipped units in a real systemd (PID 1 of private namespaces, see
# helpers/sys-boot.bash), installed with make install DESTDIR=, the
# system users of sysusers.d/sockclock.conf created with systemd-sysusers
# (as the package does), queried by real clients inside the namespace.
load ../helpers/common
load ../helpers/sys-boot
load ../helpers/sys-burst

UNITDIR=/usr/local/lib/systemd/system
CTIME='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}'$'\r''$'

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	# make install into the new root, before it boots; options through
	# both routes: an environment file and a drop-in.
	sys_boot "make -s -C '$TOP' install DESTDIR=\"\$ROOT\" INSTALL_BIN='$BIN'
		systemd-sysusers --root=\"\$ROOT\"
		echo 'OPTIONS=--verbose --idle-timeout=1' >\"\$ROOT/etc/default/sockclock-sntp-udp\"
		mkdir -p \"\$ROOT/etc/systemd/system/daytime-udp.service.d\"
		printf '[Service]\nEnvironment=\"OPTIONS=--verbose --idle-timeout=1 --format=iso8601 --utc\"\n' \
			>\"\$ROOT/etc/systemd/system/daytime-udp.service.d/test.conf\"
		$(asan_dropin)"
	sys systemctl start daytime-tcp.socket daytime-udp.socket sntp-udp.socket
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

teardown() {
	stop_servers
	[ -z "$SYS_PID" ] || sys sh -c '[ ! -f /tmp/hold.pid ] || kill "$(cat /tmp/hold.pid)"' || true
}

@test "the installed units pass systemd-analyze verify" {
	run sys systemd-analyze verify $UNITDIR/daytime-tcp.socket \
		$UNITDIR/daytime-tcp.service $UNITDIR/daytime-udp.socket \
		$UNITDIR/daytime-udp.service $UNITDIR/sntp-udp.socket \
		$UNITDIR/sntp-udp.service $UNITDIR/daytime-tcp-accept.socket \
		$UNITDIR/daytime-tcp-accept@.service
	assert_success
	assert_output ""
}

@test "the three sockets listen on IPv4 and IPv6, dual-stack" {
	run sys systemctl is-active daytime-tcp.socket daytime-udp.socket sntp-udp.socket
	assert_success
	run sys ss -Hlntu
	assert_output --regexp 'tcp +LISTEN .*\*:13 '
	assert_output --regexp 'udp .*\*:13 '
	assert_output --regexp 'udp .*\*:123 '
}

# Issue 22: the shipped daytime-tcp.socket listens (Accept=no): one
# daytime-tcp.service accepts both connections, no instance per
# connection is started.
@test "daytime-tcp answers over IPv4 and IPv6 from one daytime-tcp.service (Accept=no)" {
	run sys systemctl show -P Accept daytime-tcp.socket
	assert_output no
	run sys socat -T5 - TCP4:127.0.0.1:13
	assert_success
	assert_output --regexp "$CTIME"
	run sys socat -T5 - TCP6:[::1]:13
	assert_success
	assert_output --regexp "$CTIME"
	# systemd accepted none of them (it counts what Accept=yes accepts);
	# the service did, and it was started (its journal keeps that after
	# an idle exit).
	run sys systemctl show -P NAccepted daytime-tcp.socket
	assert_output 0
	run sys journalctl -q -b --no-pager -o cat -u daytime-tcp.service
	assert_output --partial "Started"
	refute_output --partial "Failed"
}

@test "the default allow list: a private address may ask, a public one may not" {
	sys ip addr add 192.168.77.1/32 dev lo
	sys ip addr add 203.0.113.5/32 dev lo
	run sys socat -T5 - TCP4:192.168.77.1:13,bind=192.168.77.1
	assert_output --regexp "$CTIME"
	run sys $PY "$TOP/tests/helpers/ntp.py" --host 192.168.77.1 123
	assert_output --partial "mode=4"
	# IPAddressDeny=any drops the public source's packets: no answer.
	run sys timeout 5 socat -T2 - TCP4:203.0.113.5:13,bind=203.0.113.5,connect-timeout=2
	assert_failure
	assert_output --partial "timed out"
	run sys $PY "$TOP/tests/helpers/ntp.py" --host 203.0.113.5 --timeout 1 123
	assert_output "no reply"
}

@test "daytime-udp answers, with the options of its drop-in" {
	run sys socat -T5 - UDP4:127.0.0.1:13 <<<"x"
	assert_success
	assert_output --regexp '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z'$'\r''$'
	run sys socat -T5 - UDP6:[::1]:13 <<<"x"
	assert_success
	assert_output --regexp 'Z'$'\r''$'
}

@test "the UDP programs answer across several activations" {
	local unit port i pids=()
	for unit in daytime-udp sntp-udp; do
		pids=()
		for i in 1 2 3; do
			if [ $unit = daytime-udp ]; then
				run sys socat -T5 - UDP4:127.0.0.1:13 <<<"x"
				assert_output --regexp 'Z'$'\r''$'
			else
				run sys $PY "$TOP/tests/helpers/ntp.py" 123
				assert_output --partial "mode=4"
			fi
			pids+=("$(sys systemctl show -P ExecMainPID $unit.service)")
			# --idle-timeout=1: the program exits and systemd listens again.
			wait_inactive $unit.service
		done
		echo "$unit PIDs: ${pids[*]}"
		[ "${pids[0]}" != "${pids[1]}" ] && [ "${pids[1]}" != "${pids[2]}" ] ||
			fail "$unit: not three activations: ${pids[*]}"
		run sys systemctl is-active $unit.socket
		assert_output active
	done
}

# Each unit's RuntimeDirectory holds its state file, and the
# counters add up over the activations above. Each its
# own directory (/run/sockclock/PROGRAM, the programs' default), 0700 and
# its own user's (systemd re-owns a RuntimeDirectory= to the unit's user).
@test "each UDP program keeps its state in its own /run/sockclock/PROGRAM, as its own user, across activations" {
	local unit stats n user
	run sys stat -c '%a %U' /run/sockclock
	assert_output "755 root"
	for unit in daytime-udp sntp-udp; do
		user=sockclock-daytime
		[ $unit = daytime-udp ] || user=sockclock-sntp
		run sys stat -c '%a %U' /run/sockclock/$unit
		assert_output "700 $user"
		run sys stat -c '%a %U %s' /run/sockclock/$unit/$unit.state
		assert_output "600 $user 246784"
		stats=$(sys /usr/local/sbin/$unit --stats)
		echo "$unit: $stats"
		n() { sed -n "s/^$1: //p" <<<"$stats"; }
		[ "$(n processes-started)" -ge 3 ] || fail "$unit: $stats"
		[ "$(n requests-answered)" -ge 3 ] || fail "$unit: $stats"
		[ "$(n requests-received)" = $(($(n requests-answered) + $(n requests-dropped) + $(n rate-limited))) ] ||
			fail "$unit: $stats"
		# The empty datagram sntp-udp sends its own socket before its
		# first reply (warmup.c) is read back unseen, even on the
		# dual-stack wildcard socket: no request here is short.
		[ $unit = daytime-udp ] || [ "$(n dropped-length)" = 0 ] ||
			fail "sntp-udp counted its own warm-up datagram: $stats"
	done
	run sys journalctl -q -u sntp-udp.service -u daytime-udp.service -g 'state'
	assert_output ""
}

# A reply that leaves after the service has exited
# (a token-bucket shaper on lo holds it behind a filler datagram, ~1.6 s,
# past --idle-timeout=1) must not hand the socket back to systemd with
# an error event: the socket stays listening and answers again.
@test "a reply that leaves after the service exited leaves sntp-udp.socket listening" {
	wait_inactive sntp-udp.service
	sys tc qdisc add dev lo root tbf rate 500bit burst 300 latency 10s
	run sys $PY - <<'PY'
import socket, time
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("127.0.0.1", 0))
t0 = time.monotonic()
c.sendto(bytes([0x23]) + bytes(47), ("127.0.0.1", 123))
c.sendto(bytes(222), sink.getsockname())  # empties the bucket
c.settimeout(8)
print("reply=%d after=%.1fs" % (len(c.recv(100)), time.monotonic() - t0))
PY
	sys tc qdisc del dev lo root
	assert_success
	echo "$output" >&3
	assert_output --regexp '^reply=48 '
	wait_inactive sntp-udp.service
	# What systemd says of an error event on the socket (a stamp left
	# in the error queue): "Got unexpected poll event (0x8)", then
	# "Failed with result 'resources'".
	run sys journalctl -q -b -u sntp-udp.socket --no-pager
	refute_output --partial "unexpected poll event"
	refute_output --partial "Failed with result"
	run sys systemctl is-active sntp-udp.socket
	assert_output active
	run sys $PY "$TOP/tests/helpers/ntp.py" 123
	assert_output --partial "mode=4"
}

wait_inactive() {
	sys_wait_inactive "$1" || fail "$1 still running"
}

# chronyd -x (local stratum 3, pidfile /tmp/chrony-up/pid) inside, its
# monitoring port 323 bound to BIND (default ADDR) with EXTRA config
# lines; returns once chronyc at ADDR reads stratum 3, its tracking
# output left in $out (the caller's local).
up_chronyd() { # ADDR [BIND [EXTRA...]]
	local addr=$1 bind=${2:-$1} i
	shift $(($# < 2 ? $# : 2))
	sys sh -c 'd=/tmp/chrony-up; mkdir -p $d; b=$1; shift
		printf "local stratum 3\nport 0\nbindcmdaddress %s\nbindcmdaddress /\ncmdport 323\npidfile %s/pid\n" "$b" "$d" >$d/conf
		[ $# = 0 ] || printf "%s\n" "$@" >>$d/conf
		chronyd -x -u root -f $d/conf -L 0 -l $d/log' sh "$bind" "$@"
	for i in $(seq 60); do
		out=$(sys chronyc -h "$addr" -p 323 -n tracking 2>&1) || true
		grep -Eq '^Stratum +: 3$' <<<"$out" && return 0
		sleep 0.5
	done
	fail "chronyd does not answer on $addr: $out"
}

@test "sntp-udp reads the kernel state inside its sandbox (the host's LI and stratum)" {
	host_clock
	run sys $PY "$TOP/tests/helpers/ntp.py" 123
	assert_success
	assert_output --regexp "^len=48 leap=$CLOCK_LEAP version=4 mode=4 stratum=$CLOCK_STRATUM "
	run sys journalctl -q --no-pager SYSLOG_IDENTIFIER=sntp-udp
	refute_output --partial "cannot read the clock state"
	refute_output --regexp "(SIGSYS|core-dump|status=31)"
}

# Each program with state as its own static user
# (sysusers.d/sockclock.conf); sntp-udp's group is the NTS key file's, so
# that it reads the cookie keys nts-ke-tcp writes; daytime-udp is in no
# group of another program.
@test "the UDP programs run with no capabilities, each as its own system user" {
	local svc user group uid gid groups try
	for svc in sntp-udp daytime-udp; do
		if [ $svc = sntp-udp ]; then
			user=sockclock-sntp group=sockclock-nts-keys
		else
			user=sockclock-daytime group=sockclock-daytime
		fi
		uid=$(sys id -u $user) gid=$(sys getent group $group | cut -d: -f3)
		[ -n "$uid" ] && [ -n "$gid" ] || fail "no user $user or group $group"
		# The program leaves after 1 s idle: the request, its PID and its
		# status in one call inside the booted system, again if it had
		# already gone (a loaded machine) before its status was read.
		for try in 1 2 3 4 5; do
			run sys sh -c '"$1" "$2" "$3" >/dev/null 2>&1
				pid=$(systemctl show -p MainPID --value "$4.service")
				[ "$pid" -gt 0 ] || exit 3
				cat "/proc/$pid/status"' sh "$PY" "$TOP/tests/helpers/ntp.py" \
				"$([ $svc = sntp-udp ] && echo 123 || echo 13)" "$svc"
			[ "$status" = 0 ] && break
		done
		assert_success
		assert_output --regexp $'\nCapEff:\t0000000000000000\n'
		assert_output --regexp $'\nCapPrm:\t0000000000000000\n'
		assert_output --regexp $'\nCapBnd:\t0000000000000000\n'
		assert_output --regexp $'\nNoNewPrivs:\t1\n'
		echo "$svc: $(grep -E '^(Uid|Gid|Groups):' <<<"$output" | tr '\t\n' '  ')" >&3
		assert_output --regexp $'\nUid:\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\t'"$uid"$'\n'
		assert_output --regexp $'\nGid:\t'"$gid"$'\t'"$gid"$'\t'"$gid"$'\t'"$gid"$'\n'
		# Supplementary groups: none, or the user's own group only.
		groups=$(sed -n 's/^Groups:\t*//p' <<<"$output")
		groups=${groups% }
		[ -z "$groups" ] || [ "$groups" = "$gid" ] || fail "$svc: supplementary groups $groups"
	done
}

# With the identity systemd gives daytime-udp.service,
# sntp-udp's state can be neither changed nor replaced (before, both ran
# as the one dynamic user "sockclock" and shared /run/sockclock).
@test "daytime-udp's user cannot write sntp-udp's state, nor sntp-udp's daytime-udp's" {
	run sys $PY "$TOP/tests/helpers/ntp.py" 123
	assert_output --partial "mode=4"
	run sys socat -T5 - UDP4:127.0.0.1:13 <<<"x"
	assert_output --regexp 'Z'$'\r''$'
	local a b f
	for a in daytime-udp sntp-udp; do
		b=sntp-udp
		[ $a = daytime-udp ] || b=daytime-udp
		f=$(sys find -L /run/sockclock -name $b.state) # -L: older versions made it a link
		[ -n "$f" ] || fail "no $b.state"
		# true, not ":": a special builtin's failed redirection ends sh.
		run sys_as_unit $a.service "id
			true >>'$f' && echo '$b.state written'
			true >'${f%/*}/$a.x' && echo '$b directory written'
			exit 0"
		echo "$a: $output"
		assert_success
		assert_output --partial 'Permission denied'
		refute_output --partial 'written'
	done
}

@test "ntpdig and chronyd -Q get time from sntp-udp (options from the environment file)" {
	sys sh -c "echo 'OPTIONS=--verbose --idle-timeout=1 --assume-synchronized --stratum=2' \
		>/etc/default/sockclock-sntp-udp"
	wait_inactive sntp-udp.service
	run sys ntpdig -j -t 3 127.0.0.1
	assert_success
	assert_output --regexp '"stratum": ?2'
	assert_output --regexp '"leap": ?"no-leap"'
	# chronyd with its measurements log: every packet test passed, the
	# stratum served, and the offset under 1 ms.
	sys sh -c 'mkdir -p /tmp/chrony && printf "server 127.0.0.1 iburst minpoll -4 maxpoll -4 maxsamples 4\nlogdir /tmp/chrony\nlog measurements\npidfile /tmp/chrony/pid\n" >/tmp/chrony/conf'
	run sys timeout 20 chronyd -Q -u root -f /tmp/chrony/conf -t 15
	assert_success
	local wrong
	wrong=$(grep -o 'System clock wrong by -\?[0-9.]* seconds' <<<"$output") || fail "$output"
	echo "# chronyd in the booted systemd: $wrong" >&3
	awk -v o="$(awk '{ print $5 }' <<<"$wrong")" 'BEGIN { if (o < 0) o = -o; exit !(o < 0.001) }' ||
		fail "offset: $wrong"
	run sys sh -c "grep '^[0-9]' /tmp/chrony/measurements.log | tail -1"
	read -r _ _ _ leapc st t1 t2 t3 _ <<<"$output"
	[ "$leapc $st $t1 $t2 $t3" = "N 2 111 111 1111" ] || fail "measurement: $output"
}

# Interleaved mode across activations through the shipped units: the
# state file lives in RuntimeDirectory=sockclock/sntp-udp (kept between processes
# by RuntimeDirectoryPreserve=yes) and the socket stamps what it queues
# (Timestamping=ns). chronyd (-x: never the clock) polls every 2 s an
# sntp-udp that idles out after 1 s, so most requests start a process.
@test "chronyd xleave against the installed sntp-udp.socket: interleaved samples across activations, under 1 ms" {
	sys sh -c "echo 'OPTIONS=--verbose --idle-timeout=1 --assume-synchronized' \
		>/etc/default/sockclock-sntp-udp"
	wait_inactive sntp-udp.service
	local before
	before=$(sys /usr/local/sbin/sntp-udp --stats 2>/dev/null | sed -n 's/^processes-started: //p')
	before=${before:-0}
	run sys sh -c 'd=/tmp/chrony-x; mkdir -p $d
		printf "server 127.0.0.1 xleave minpoll 1 maxpoll 1\nlogdir $d\nlog measurements\ncmdport 0\npidfile $d/pid\n" >$d/conf
		chronyd -x -d -u root -f $d/conf >$d/out 2>&1 & p=$!
		for i in $(seq 150); do
			n=$(grep -Ec " [0-9]I [A-Z] [A-Z]$" $d/measurements.log 2>/dev/null)
			[ "${n:-0}" -ge 3 ] && break
			sleep 0.2
		done
		kill $p; wait $p
		grep "^[0-9]" $d/measurements.log'
	echo "$output" | sed 's/^/# /' >&3
	local xl
	xl=$(grep -E ' [0-9]I [A-Z] [A-Z]$' <<<"$output") || fail "no interleaved sample: $output"
	[ "$(wc -l <<<"$xl")" -ge 3 ] || fail "fewer than 3 interleaved samples: $output"
	# Offsets of the interleaved samples (column 12) under 1 ms.
	awk '{ o = $12 < 0 ? -$12 : $12; if (o >= 0.001) { print; bad = 1 } } END { exit bad }' <<<"$xl" ||
		fail "an interleaved offset of 1 ms or more: $xl"
	run sys /usr/local/sbin/sntp-udp --stats
	echo "$output" | sed 's/^/# /' >&3
	local n
	n=$(sed -n 's/^interleaved-answered: //p' <<<"$output")
	((n >= 3)) || fail "interleaved-answered $n: $output"
	n=$(sed -n 's/^processes-started: //p' <<<"$output")
	((n - before >= 2)) || fail "not across activations: $before then $n processes"
}

@test "the journal has the programs' lines, with PEER_ADDRESS" {
	sys socat -T5 - UDP4:127.0.0.1:13 <<<"x"
	run sys journalctl -q --no-pager -o verbose SYSLOG_IDENTIFIER=daytime-udp
	assert_output --partial "PEER_ADDRESS="
	run sys journalctl -q --no-pager -o verbose SYSLOG_IDENTIFIER=sntp-udp
	assert_output --regexp "MESSAGE=NTPv4 mode 3 request answered"
	assert_output --regexp "PEER_ADDRESS=[^ ]*127\.0\.0\.1"
}

@test "2000 TCP connections at once leave daytime-tcp.socket listening" {
	run sys bash -c "$(declare -f tcp_burst); PY=$PY tcp_burst 127.0.0.1 13 2000"
	assert_success
	echo "systemd burst: $output" >&3
	# --max-per-source=16: at least 16 served in full.
	assert_burst "$output" 2000 16
	run sys systemctl is-active daytime-tcp.socket
	assert_output active
	run sys socat -T5 - TCP4:127.0.0.1:13
	assert_output --regexp "$CTIME"
}

# The per-connection variant in place of the default (Conflicts=): a
# process per connection, and a burst must not fail it for good
# (TriggerLimitIntervalSec=0; MaxConnectionsPerSource=16).
@test "daytime-tcp-accept.socket: one daytime-tcp-accept@.service per connection; 2000 at once leave it listening" {
	sys systemctl stop daytime-tcp.socket daytime-tcp.service
	run sys systemctl start daytime-tcp-accept.socket
	assert_success
	run sys socat -T5 - TCP6:[::1]:13
	assert_output --regexp "$CTIME"
	run sys systemctl show -P NAccepted daytime-tcp-accept.socket
	assert_output 1
	run sys bash -c "$(declare -f tcp_burst); PY=$PY tcp_burst 127.0.0.1 13 2000"
	assert_success
	echo "systemd burst, Accept=yes: $output" >&3
	assert_burst "$output" 2000 16
	run sys systemctl is-active daytime-tcp-accept.socket
	assert_output active
	run sys socat -T5 - TCP4:127.0.0.1:13
	assert_output --regexp "$CTIME"
	sys systemctl stop daytime-tcp-accept.socket
	sys systemctl start daytime-tcp.socket
	run sys systemctl is-active daytime-tcp.socket
	assert_output active
}

# tcp_hold.py inside the namespace (its /tmp is the namespace's own):
# sys_hold ARGS... starts "hold ARGS" there, its PID in /tmp/hold.pid;
# sys_release ends it by that PID and prints what its connections saw.
sys_hold() {
	sys bash -c "$PY '$TOP/tests/helpers/tcp_hold.py' hold $* >/tmp/hold.out 2>&1 &
		echo \$! >/tmp/hold.pid"
	local i
	for i in $(seq 100); do
		sys grep -q '^connected=' /tmp/hold.out && return 0
		sleep 0.1
	done
	fail "not held: $(sys cat /tmp/hold.out)"
}

sys_release() {
	sys sh -c 'kill -TERM "$(cat /tmp/hold.pid)"; rm /tmp/hold.pid' || true
	local i
	for i in $(seq 50); do
		sys grep -q '^line=' /tmp/hold.out && break
		sleep 0.1
	done
	sys tail -n1 /tmp/hold.out
}

@test "daytime-tcp.socket: 300 silent connections from one source, another answered within 100 ms, 20 times" {
	sys_hold 13 300 --src 127.0.0.2
	run sys grep -c '^connected=300 failed=0$' /tmp/hold.out
	assert_output 1
	# The burst starts the service: let it see the burst (accept queue
	# empty, at most 5 s) before the clock runs for the normal client.
	local i
	for i in $(seq 50); do
		[ "$(sys ss -Hltn 'sport = :13' | awk '{ print $2 }')" = 0 ] && break
		sleep 0.1
	done
	run sys $PY "$TOP/tests/helpers/tcp_hold.py" time 13 20 --within 100
	echo "systemd listening, client from 127.0.0.1, ms: $(awk '{ printf "%s ", $2 }' <<<"$output")" >&3
	[ "${#lines[@]}" = 20 ] || fail "stopped at: ${lines[-1]}"
	run awk '$1 != "line" || $2 > 100' <<<"$output"
	assert_output ""
	# The shipped unit's default: 16 a source answered, the rest closed
	# unanswered (a FIN, no reset).
	run sys_release
	assert_output "line=16 empty=284 reset=0 open=0 other=0"
	run sys systemctl is-active daytime-tcp.socket
	assert_output active
}

# Issue 21, item 4: the shipped sntp-udp.service (PrivateNetwork=yes,
# AF_UNIX only) reaches chronyd all the same, through the socket
# sntp-udp.socket passes (made in this system's network, allowed
# localhost): the query goes out on it to 127.0.0.1:323 (as
# ::ffff:127.0.0.1 on the dual-stack socket) and the answer, known by
# its source, comes in among the requests. chronyd inside: -x (never
# the clock), `local stratum 3`, no NTP port, command port 323 on
# 127.0.0.1 only, no Unix socket (bindcmdaddress /). Default options,
# the unit as installed: the header's stratum and reference ID are
# chronyd's. daytime-udp (nist line) asks the same way.
@test "sntp-udp.service as installed serves the header of chronyd on 127.0.0.1:323 (asked through the passed socket)" {
	sys sh -c "echo 'OPTIONS=--verbose --idle-timeout=1' >/etc/default/sockclock-sntp-udp"
	sys mkdir -p /etc/systemd/system/daytime-udp.service.d
	sys sh -c "printf '[Service]\nEnvironment=\"OPTIONS=--verbose --idle-timeout=1 --format=nist\"\n' \
		>/etc/systemd/system/daytime-udp.service.d/zz-nist.conf"
	sys systemctl daemon-reload
	wait_inactive sntp-udp.service
	wait_inactive daytime-udp.service
	local i out r
	up_chronyd 127.0.0.1
	grep -Eq '^Reference ID +: 7F7F0101 ' <<<"$out" || fail "chronyd's reference ID: $out"
	# The request that sends the question is answered from the view
	# held (the kernel's here, the first time); the answer serves the
	# next ones, in this activation or a later one. The view kept from
	# before may make the next question wait up to 8 s.
	for i in $(seq 40); do
		r=$(sys $PY "$TOP/tests/helpers/ntp.py" 123) || true
		[[ $r == *" stratum=3 "* ]] && break
		sleep 0.5
	done
	echo "# $r" >&3
	[[ $r == *" leap=0 "* && $r == *" stratum=3 "* && $r == *" refid=7f7f0101 "* ]] ||
		fail "not chronyd's header: $r"
	run sys /usr/local/sbin/sntp-udp --stats
	assert_line "upstream-source: chrony 127.0.0.1:323"
	# Still the sandbox of the unit as shipped: no drop-in changed it.
	run sys systemctl show -P PrivateNetwork sntp-udp.service
	assert_output yes
	run sys systemctl show -P RestrictAddressFamilies sntp-udp.service
	assert_output AF_UNIX
	# daytime-udp: its own state says chronyd answered it.
	for i in $(seq 40); do
		sys socat -T5 - UDP4:127.0.0.1:13 <<<"x" >/dev/null || true
		out=$(sys /usr/local/sbin/daytime-udp --stats) || true
		grep -q '^upstream-source: chrony 127.0.0.1:323$' <<<"$out" && break
		sleep 0.5
	done
	grep -q '^upstream-source: chrony 127.0.0.1:323$' <<<"$out" ||
		fail "daytime-udp never heard chronyd: $out"
	sys rm /etc/systemd/system/daytime-udp.service.d/zz-nist.conf
	sys systemctl daemon-reload
	run sys journalctl -q --no-pager SYSLOG_IDENTIFIER=sntp-udp
	refute_output --partial "cannot be asked"
}

# ...and only the loopback: chronyd answering monitoring requests on an
# address of this host that is not a loopback one (chronyc reaches it),
# the service's IP filter drops sntp-udp's query, so --upstream=chrony
# says "not synchronised" (LI 3, stratum 0).
@test "sntp-udp.service reaches no upstream beyond the loopback (IPAddressDeny=any)" {
	sys sh -c '[ ! -f /tmp/chrony-up/pid ] || kill "$(cat /tmp/chrony-up/pid)"' || true
	sys ip addr add 192.168.77.1/32 dev lo 2>/dev/null || true
	sys sh -c "echo 'OPTIONS=--verbose --idle-timeout=1 --upstream=chrony:192.168.77.1:323' \
		>/etc/default/sockclock-sntp-udp"
	wait_inactive sntp-udp.service
	local i out
	for i in $(seq 50); do
		sys test -e /tmp/chrony-up/pid || break
		sleep 0.1
	done
	up_chronyd 192.168.77.1 0.0.0.0 'cmdallow all'
	# Then several activations over more than an interval (8 s between
	# tries of one file): none may get chronyd's header.
	# The state file may still hold the view of the chronyd of the test
	# above, believed for 16 s: wait until it is not served any more.
	local r stats n
	for i in $(seq 80); do
		r=$(sys $PY "$TOP/tests/helpers/ntp.py" 123) || true
		[[ $r == *" leap=3 "* ]] && break
		sleep 0.5
	done
	wait_inactive sntp-udp.service
	stats=$(sys /usr/local/sbin/sntp-udp --stats)
	n() { sed -n "s/^$1: //p" <<<"$stats"; }
	local r0 f0
	r0=$(n upstream-refreshes) f0=$(n upstream-failures)
	for i in 1 2 3; do
		r=$(sys $PY "$TOP/tests/helpers/ntp.py" 123) || true
		echo "# $r" >&3
		[[ $r == *" leap=3 "* && $r == *" stratum=0 "* ]] || fail "reached 192.168.77.1: $r"
		wait_inactive sntp-udp.service
		sleep 4
	done
	stats=$(sys /usr/local/sbin/sntp-udp --stats)
	grep upstream <<<"$stats" | sed 's/^/# /' >&3
	[ "$(n upstream-refreshes)" = "${r0:-0}" ] || fail "an answer came: $stats"
	[ "$(n upstream-failures)" -gt "${f0:-0}" ] || fail "never asked: $stats"
}

@test "nothing failed" {
	run sys systemctl --failed --no-legend --plain
	assert_success
	assert_output ""
}
