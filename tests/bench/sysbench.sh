#!/bin/bash
# SPDX-License-Identifier: ISC
# make bench-systemd: what a booted systemd costs per activation (issue 11).
# One systemd as PID 1 in namespaces on an overlay root (the machinery of
# tests/helpers/sys-boot.bash), the units installed with make install
# DESTDIR=, and in the same boot one Accept=yes socket per hardening
# variant: the same socket lines as the shipped daytime-tcp-accept.socket
# (only the port differs), a service with ExecStart and the standard
# streams only, plus the variant's lines. The same client for all
# (tcpload: COUNT connections, CONC at once, inside the namespace, on
# loopback). Then, in turns in the same boot (issue 22): daytime-tcp.socket
# as shipped (listening) and its -accept variant against the bare unit,
# nts-ke-tcp.socket as shipped against chronyd's NTS-KE, and the request
# that starts sntp-udp.service as shipped against a bare sntp-udp unit.
#   tests/bench/sysbench.sh BENCHDIR   (BENCHDIR: the built clients)
# Knobs (environment): SYSBENCH_BIN (the programs to install, default
# the top of the tree), SYSBENCH_COUNT (connections per run, default
# 200), SYSBENCH_CONC (at once, default 4), SYSBENCH_ROUNDS (the whole
# table in turns, default 2), SYSBENCH_UDP_N (spawning requests per UDP
# unit, default 10), SYSBENCH_ONLY (names of the variants to run, default
# all).
set -u
cd "$(dirname "$0")/../.."
top=$(pwd)
bin=$1
inst=${SYSBENCH_BIN:-$top}
count=${SYSBENCH_COUNT:-200}
conc=${SYSBENCH_CONC:-4}
rounds=${SYSBENCH_ROUNDS:-2}
udp_n=${SYSBENCH_UDP_N:-10}
only=${SYSBENCH_ONLY:-}
sbindir=/usr/local/sbin
unitdir=/usr/local/lib/systemd/system

die() { echo "bench-systemd: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (a booted systemd in namespaces)"
[ -x "$bin/tcpload" ] && [ -x "$bin/udpfirst" ] && [ -x "$bin/keclient" ] ||
	die "no clients in $bin"
ke_secs=${SYSBENCH_KE_SECONDS:-3}

tmp=$(mktemp -d /tmp/sockclock-sysbench.XXXXXX)
TOP=$top
BATS_FILE_TMPDIR=$tmp
. "$top/tests/helpers/sys-boot.bash"
. "$top/tests/helpers/ntske.bash"
cleanup() {
	sys_halt >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the variants: NAME, a label, the [Service] lines ----
# Each group alone on top of the bare unit, so that its row is its own
# cost; then the sets (cumulative) that can be shipped.
mkdir "$tmp/units"
names=()
declare -A label port
nextport=2001
variant() { # NAME LABEL, lines on stdin
	local name=$1
	if [ -n "$only" ] && ! [[ " $only " == *" $name "* ]]; then
		cat >/dev/null
		return
	fi
	names+=("$name")
	label[$name]=$2
	port[$name]=$nextport
	nextport=$((nextport + 1))
	sed -e "s|^ListenStream=13\$|ListenStream=${port[$name]}|" -e '/^Conflicts=/d' \
		-e "s|^Description=.*|Description=sysbench $name|" \
		units/daytime-tcp-accept.socket >"$tmp/units/sb-$name.socket"
	{
		printf '[Unit]\nDescription=sysbench %s\n\n[Service]\n' "$name"
		printf 'EnvironmentFile=-/etc/default/sockclock-daytime-tcp\n'
		printf 'ExecStart=%s/daytime-tcp $OPTIONS\n' "$sbindir"
		printf 'StandardInput=socket\nStandardOutput=socket\nStandardError=journal\n'
		cat
	} >"$tmp/units/sb-$name@.service"
}
# The shipped unit's own lines after its standard streams: its
# hardening, whatever it is today.
shipped_lines() {
	sed -n '/^StandardError=/,$p' "units/$1" | sed -e 1d -e '/^#/d' -e '/^$/d'
}

# The groups of options that the sets below combine.
G_caps='CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes'
G_scf='SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM'
G_restrict='RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes'
G_umask='RemoveIPC=yes
UMask=0077'

variant bare "bare (no hardening)" </dev/null
variant user "User=nobody" <<<"User=nobody"
variant dynuser "DynamicUser=yes (implies ProtectSystem=strict, PrivateTmp...)" <<<"DynamicUser=yes"
variant caps "CapabilityBoundingSet= AmbientCapabilities= NoNewPrivileges" <<<"$G_caps"
variant scf "SystemCallFilter (@system-service ~@privileged @resources)" <<<"$G_scf"
variant restrict "Restrict*, LockPersonality, MemoryDenyWriteExecute" <<<"$G_restrict"
variant umask "RemoveIPC, UMask=0077" <<<"$G_umask"
variant ipdeny "IPAddressDeny=any (BPF per service cgroup)" <<<"IPAddressDeny=any"
variant clock "ProtectClock (device policy)" <<<"ProtectClock=yes"
variant devpol "DevicePolicy=closed" <<<"DevicePolicy=closed"
variant protsys "ProtectSystem=strict ProtectHome=yes" <<'EOF'
ProtectSystem=strict
ProtectHome=yes
EOF
variant privtmp "PrivateTmp" <<<"PrivateTmp=yes"
variant privdev "PrivateDevices" <<<"PrivateDevices=yes"
variant protkern "ProtectKernel{Tunables,Modules,Logs} ProtectControlGroups" <<'EOF'
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
EOF
variant ktun "ProtectKernelTunables" <<<"ProtectKernelTunables=yes"
variant kmod "ProtectKernelModules" <<<"ProtectKernelModules=yes"
variant klog "ProtectKernelLogs" <<<"ProtectKernelLogs=yes"
variant cgrp "ProtectControlGroups" <<<"ProtectControlGroups=yes"
variant proc "ProtectProc=invisible ProcSubset=pid" <<'EOF'
ProtectProc=invisible
ProcSubset=pid
EOF
variant privipc "PrivateIPC" <<<"PrivateIPC=yes"
variant privmnt "PrivateMounts" <<<"PrivateMounts=yes"
variant hostname "ProtectHostname" <<<"ProtectHostname=yes"
variant privusers "PrivateUsers" <<<"PrivateUsers=yes"
variant privnet "PrivateNetwork" <<<"PrivateNetwork=yes"
variant nomount "user+caps+scf+restrict+umask (no namespace)" \
	<<<"$(printf '%s\n' User=nobody "$G_caps" "$G_scf" "$G_restrict" "$G_umask")"
variant copy "copy of the shipped daytime-tcp-accept@.service lines" < <(shipped_lines daytime-tcp-accept@.service)
# Sets that can be shipped: the shipped lines without those matching
# REGEX (the options whose rows cost most or add nothing to the score).
variant_minus() { # NAME LABEL REGEX
	variant "$1" "$2" < <(shipped_lines daytime-tcp-accept@.service | grep -v -E "^($3)=")
}
variant_minus lean "shipped - ProcSubset PrivateIPC ProtectHostname DevicePolicy" \
	'ProcSubset|PrivateIPC|ProtectHostname|DevicePolicy'
variant_minus leansys "lean - ProtectSystem ProtectHome (DynamicUser's implied)" \
	'ProcSubset|PrivateIPC|ProtectHostname|DevicePolicy|ProtectSystem|ProtectHome'
variant_minus leanclk "lean - ProtectClock" \
	'ProcSubset|PrivateIPC|ProtectHostname|DevicePolicy|ProtectClock'
variant_minus nokern "shipped - ProtectKernel* ProtectControlGroups" \
	'ProtectKernelTunables|ProtectKernelModules|ProtectKernelLogs|ProtectControlGroups'

# The bare UDP unit (issue 22): the shipped sntp-udp.socket's lines on
# another port, and a service with the same options but none of the
# sandbox (its own state directory: it runs as root).
udpbare_port=2123
sed -e "s|^ListenDatagram=123\$|ListenDatagram=$udpbare_port|" -e '/^Conflicts=/d' \
	-e "s|^Description=.*|Description=sysbench udpbare|" \
	units/sntp-udp.socket >"$tmp/units/sb-udpbare.socket"
printf '%s\n' '[Unit]' 'Description=sysbench udpbare' 'Requires=sb-udpbare.socket' \
	'StartLimitIntervalSec=0' '' '[Service]' 'EnvironmentFile=-/etc/default/sockclock-sntp-udp' \
	"ExecStart=$sbindir/sntp-udp --state-dir=/run/sb-udpbare \$OPTIONS" 'StandardInput=null' \
	'RuntimeDirectory=sb-udpbare' 'RuntimeDirectoryPreserve=yes' >"$tmp/units/sb-udpbare.service"

# ---- boot ----
echo "OPTIONS=--idle-timeout=1" >"$tmp/sockclock-sntp-udp"
echo "OPTIONS=--idle-timeout=1" >"$tmp/sockclock-daytime-udp"
# NTS-KE (issue 22): a certificate for 127.0.0.1, the README's steps
# (root-only key in /etc/sockclock), and chronyd's NTS-KE server with the
# same certificate on 4461 (-x: it never touches the clock).
mkdir "$tmp/certs"
ntske_certs "$tmp/certs" >/dev/null 2>&1 || die "certtool failed"
printf '%s\n' 'port 11123' 'allow 127.0.0.1' 'cmdport 0' 'ntsport 4461' \
	'ntsserverkey /etc/sockclock/nts-ke.key' 'ntsservercert /etc/sockclock/nts-ke.crt' \
	'pidfile /run/chrony-bench.pid' 'driftfile /run/chrony-bench.drift' >"$tmp/chrony.conf"
sys_boot "make -s -C '$top' install DESTDIR=\"\$ROOT\" INSTALL_BIN='$inst'
	cp '$tmp'/units/* \"\$ROOT/etc/systemd/system/\"
	cp '$tmp'/sockclock-sntp-udp '$tmp'/sockclock-daytime-udp \"\$ROOT/etc/default/\"
	install -d -m 755 \"\$ROOT/etc/sockclock\"
	install -m 644 '$tmp/certs/srv.crt' \"\$ROOT/etc/sockclock/nts-ke.crt\"
	install -m 600 '$tmp/certs/srv.key' \"\$ROOT/etc/sockclock/nts-ke.key\"
	install -m 644 '$tmp/chrony.conf' \"\$ROOT/etc/sockclock/chrony-bench.conf\"
	install -m 644 '$tmp/certs/ca.crt' \"\$ROOT/etc/sockclock/bench-ca.crt\"
	systemd-sysusers --root=\"\$ROOT\"" ||
	die "systemd did not boot"
sockets=()
for n in "${names[@]}"; do sockets+=("sb-$n.socket"); done
sys systemctl start daytime-tcp.socket daytime-udp.socket sntp-udp.socket sb-udpbare.socket "${sockets[@]}" ||
	die "the sockets did not start"

# ---- exposure (offline, the unit files as installed) ----
declare -A expo
exposure() {
	sys systemd-analyze security --offline=true --no-pager "$1" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
for n in "${names[@]}"; do expo[$n]=$(exposure "/etc/systemd/system/sb-$n@.service"); done
for u in daytime-tcp daytime-tcp-accept@ daytime-udp sntp-udp; do
	expo[$u]=$(exposure "$unitdir/$u.service")
done
expo[sb-udpbare]=$(exposure /etc/systemd/system/sb-udpbare.service)

# ---- load: the variants, the shipped unit and the per-connection one, in turns ----
load() { # NAME PORT ROUND
	local out
	out=$(sys "$bin/tcpload" 127.0.0.1 "$2" "$conc" 30 "$count") || out="- - - - failed"
	echo "$out" >"$tmp/load.$1.$3"
}
# The bare unit runs before the first row and after every row: each row
# is compared with the mean of the two bare runs around it, as the load
# of other work on the machine drifts within a round.
based() { # NAME PORT ROUND: a row, then bare; its base from both bare runs
	local before=$tmp/load.bare.$3
	load "$1" "$2" "$3"
	cp "$before" "$tmp/base.before"
	load bare "${port[bare]}" "$3"
	cat "$tmp/base.before" "$before" >>"$tmp/bare.all.$3"
	awk '{ s += $2 } END { printf "- %.0f\n", s / NR }' "$tmp/base.before" "$before" \
		>"$tmp/base.$1.$3"
}
for r in $(seq "$rounds"); do
	: >"$tmp/bare.all.$r"
	load bare "${port[bare]}" "$r"
	for n in "${names[@]}"; do
		[ "$n" = bare ] || based "$n" "${port[$n]}" "$r"
	done
	# As shipped (listening): the service stopped first, so that each run
	# starts it with its first connection, as a burst after an idle exit.
	sys systemctl stop daytime-tcp.service 2>/dev/null # (systemd: "can still be activated")
	based shipped 13 "$r"
	# The per-connection variant replaces daytime-tcp.socket on port 13
	# (Conflicts=); stopped first: a start with Conflicts= may bind before
	# the other socket has closed.
	sys systemctl stop daytime-tcp.socket daytime-tcp.service
	sys systemctl start daytime-tcp-accept.socket
	based accept 13 "$r"
	sys systemctl stop daytime-tcp-accept.socket
	sys systemctl start daytime-tcp.socket
done

# ---- NTS-KE: the shipped socket against chronyd's, in turns ----
# keclient (4 threads, whole exchanges, the cookies decoded) for
# $ke_secs s on each; the first exchange on 4460 starts the service
# (the service as a user enables it, started once per burst).
sys systemctl start nts-ke-tcp.socket || die "nts-ke-tcp.socket did not start"
sys chronyd -x -u root -f /etc/sockclock/chrony-bench.conf || die "chronyd did not start"
ke() { # NAME PORT ROUND
	sys "$bin/keclient" --ca=/etc/sockclock/bench-ca.crt --threads=4 --seconds="$ke_secs" \
		127.0.0.1 "$2" 2>/dev/null | tail -n1 >"$tmp/ke.$1.$3"
}
# The per-connection variant in turn on the same port (Conflicts=): it
# stops the listening service, so each round's shipped run starts it.
for r in $(seq "$rounds"); do
	ke chronyd 4461 "$r"
	ke shipped 4460 "$r"
	sys systemctl stop nts-ke-tcp.socket nts-ke-tcp.service
	sys systemctl start nts-ke-tcp-accept.socket || die "nts-ke-tcp-accept.socket did not start"
	ke accept 4460 "$r"
	sys systemctl stop nts-ke-tcp-accept.socket
	sys systemctl start nts-ke-tcp.socket || die "nts-ke-tcp.socket did not start"
done
sys sh -c 'kill $(cat /run/chrony-bench.pid)'
expo[nts-ke-tcp]=$(exposure "$unitdir/nts-ke-tcp.service")
expo[nts-ke-tcp-accept@]=$(exposure "$unitdir/nts-ke-tcp-accept@.service")

# ---- UDP: the request that starts the service, after each idle exit ----
# In turns: sntp-udp as shipped, the bare sntp-udp unit, daytime-udp.
udps=(sntp-udp:123:ntp sb-udpbare:$udpbare_port:ntp daytime-udp:13:daytime)
for u in "${udps[@]}"; do : >"$tmp/udp.${u%%:*}"; done
for i in $(seq "$udp_n"); do
	for u in "${udps[@]}"; do
		IFS=: read -r unit p kind <<<"$u"
		sys_wait_inactive "$unit.service" || die "$unit.service did not exit when idle"
		sys "$bin/udpfirst" 127.0.0.1 "$p" "$kind" >>"$tmp/udp.$unit"
	done
done

# ---- the table ----
field() { awk -v f="$2" '{ print $f }' "$1" 2>/dev/null || echo -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else printf "-" }'; }
# the extra per-connection time (ms) of a row at this concurrency:
# CONC connections in flight, so each costs CONC/rate of the run
extra() { awk -v a="$1" -v b="$2" -v c="$conc" 'BEGIN { if (a > 0 && b > 0) printf "%+.1f", c * 1000 / a - c * 1000 / b; else printf "-" }'; }

echo
echo "sockclock make bench-systemd: systemd $(sys systemctl --version | awk 'NR == 1 { print $2 }'), $(nproc) cores, shared machine: read the ratios (same boot)"
echo "TCP: $count connections, $conc at once, per run (tcpload in the namespace, loopback);"
echo "     $rounds rounds of the whole table in turns; ratio: conn/s / bare conn/s of the same round;"
echo "     ms/conn: the extra time per connection over bare (conc / rate difference)"
echo
hdr="  %-10s %-58s %5s"
for r in $(seq "$rounds"); do hdr+=" | %6s %6s %6s %5s %6s"; done
args=(variant options exposure)
for r in $(seq "$rounds"); do args+=("r$r c/s" "p50ms" "p99ms" ratio "ms/c"); done
# shellcheck disable=SC2059
printf "$hdr\n" "${args[@]}"
row() { # NAME LABEL EXPOSURE
	local r f cps base line=()
	line=("$1" "$2" "${3:--}")
	for r in $(seq "$rounds"); do
		f=$tmp/load.$1.$r
		cps=$(field "$f" 2)
		base=$(field "$tmp/base.$1.$r" 2)
		line+=("$cps" "$(awk -v u="$(field "$f" 3)" 'BEGIN { printf "%.1f", u / 1000 }')"
			"$(awk -v u="$(field "$f" 4)" 'BEGIN { printf "%.1f", u / 1000 }')"
			"$(ratio "$cps" "$base")" "$(extra "$cps" "$base")")
		[ "$(field "$f" 5)" = 0 ] || line[1]+=" ($(field "$f" 5) errors)"
	done
	# shellcheck disable=SC2059
	printf "$hdr\n" "${line[@]}"
}
# The bare row: the mean of all its runs in the round (base: itself).
for r in $(seq "$rounds"); do
	awk '{ n++; s += $2; p += $3; q += $4; e += $5 } END { printf "%d %.0f %.0f %.0f %d\n", n, s / n, p / n, q / n, e }' \
		"$tmp/bare.all.$r" >"$tmp/load.bare.$r"
	cp "$tmp/load.bare.$r" "$tmp/base.bare.$r"
done
for n in "${names[@]}"; do row "$n" "${label[$n]}" "${expo[$n]}"; done
row shipped "daytime-tcp.socket as shipped (Accept=no, cold start)" "${expo[daytime-tcp]}"
row accept "daytime-tcp-accept.socket (Accept=yes, a process each)" "${expo[daytime-tcp-accept@]}"

echo
echo "NTS-KE: whole key exchanges/s, 4 clients (keclient) for ${ke_secs} s, in turns; goal (issue 22) >= 2x chronyd"
printf "  %-52s %8s" service exposure
for r in $(seq "$rounds"); do printf " | %8s %6s" "r$r ex/s" failed; done
echo
kerow() { # NAME LABEL EXPOSURE
	local r
	printf "  %-52s %8s" "$2" "${3:--}"
	for r in $(seq "$rounds"); do
		printf " | %8s %6s" "$(awk '{ print $8 }' "$tmp/ke.$1.$r")" "$(awk '{ print $4 }' "$tmp/ke.$1.$r")"
	done
	echo
}
kerow shipped "nts-ke-tcp.socket as shipped (Accept=no)" "${expo[nts-ke-tcp]}"
kerow accept "nts-ke-tcp-accept.socket (Accept=yes, a process each)" "${expo[nts-ke-tcp-accept@]}"
kerow chronyd "chronyd's NTS-KE (same certificate, same boot)" -
for r in $(seq "$rounds"); do
	b=$(awk '{ print $8 }' "$tmp/ke.chronyd.$r")
	for n in shipped accept; do
		a=$(awk '{ print $8 }' "$tmp/ke.$n.$r")
		rt=$(ratio "$a" "$b")
		printf "  round %s, %-8s %s/s vs chronyd %s/s: %s  %s\n" "$r" "$n:" "$a" "$b" "$rt" \
			"$(awk -v v="$rt" -v n="$n" 'BEGIN { if (n != "shipped") print "(variant, no goal)"; else print (v != "-" && v >= 2) ? "ok" : "MISS" }')"
	done
done

echo
echo "UDP: datagram to reply of the request that starts the service (the socket idle,"
echo "     the service stopped; --idle-timeout=1, $udp_n requests each, each after an idle exit, in turns)"
printf "  %-48s %8s %9s %9s %9s %5s\n" unit exposure "min ms" "p50 ms" "max ms" lost
declare -A udp_p50
for unit in sntp-udp sb-udpbare daytime-udp; do
	f=$tmp/udp.$unit
	read -r mn md mx <<<"$(grep -v lost "$f" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR) printf "%.1f %.1f %.1f", v[1] / 1000, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000; else print "- - -" }')"
	udp_p50[$unit]=$md
	label=$unit.service
	[ "$unit" != sb-udpbare ] || label="bare sntp-udp unit (same socket lines, no sandbox)"
	printf "  %-48s %8s %9s %9s %9s %5s\n" "$label" "${expo[$unit]:--}" "$mn" "$md" "$mx" "$(grep -c lost "$f")"
done
printf "  sntp-udp.service as shipped: p50 %s ms vs bare %s ms: %sx, %s ms more (goal: report it)\n" \
	"${udp_p50[sntp-udp]}" "${udp_p50[sb-udpbare]}" "$(ratio "${udp_p50[sntp-udp]}" "${udp_p50[sb-udpbare]}")" \
	"$(awk -v a="${udp_p50[sntp-udp]}" -v b="${udp_p50[sb-udpbare]}" 'BEGIN { if (a != "-" && b != "-") printf "%+.1f", a - b; else printf "-" }')"

echo
echo "goal: daytime-tcp.socket as shipped >= 0.5x a bare Accept=yes unit, same boot"
for r in $(seq "$rounds"); do
	for n in shipped accept; do
		rt=$(ratio "$(field "$tmp/load.$n.$r" 2)" "$(field "$tmp/base.$n.$r" 2)")
		printf "  round %s, %-8s %s/s vs %s/s bare (the runs around it): %s  %s\n" "$r" "$n:" \
			"$(field "$tmp/load.$n.$r" 2)" "$(field "$tmp/base.$n.$r" 2)" "$rt" \
			"$(awk -v v="$rt" -v n="$n" 'BEGIN { if (n != "shipped") print "(variant, no goal)"; else print (v != "-" && v >= 0.5) ? "ok" : "MISS" }')"
	done
done
sys systemctl --failed --no-legend --plain | sed 's/^/  failed unit: /'
echo
echo "systemd halted; logs were in $tmp (removed)"
