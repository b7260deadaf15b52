#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# sockclock-metrics.timer and .service as installed, in a real systemd
# (helpers/sys-boot.bash): after real traffic to sntp-udp.socket,
# daytime-udp.socket and nts-ke-tcp.socket as shipped (each program as
# its own user, its state 0600 in its own 0700 directory), the service
# writes /var/lib/prometheus/node-exporter/sockclock.prom: every
# program's metrics, parsed by python3-prometheus-client, equal to each
# program's --stats, mode 0644 (node_exporter's user reads it); the
# timer runs it again and again; the service's sandbox shows it neither
# the NTS key file nor /etc.
load ../helpers/common
load ../helpers/core-lib
load ../helpers/sys-boot
load ../helpers/ntske

PROM=/var/lib/prometheus/node-exporter/sockclock.prom

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	ntske_setup_file
	sys_boot "$(ntske_sys_install)
		install -d -m 755 \"\$ROOT/var/lib/prometheus/node-exporter\"
		echo 'OPTIONS=--assume-synchronized' >\"\$ROOT/etc/default/sockclock-sntp-udp\"
		$(asan_dropin)"
	sys systemctl start sntp-udp.socket daytime-udp.socket nts-ke-tcp.socket
}

teardown_file() {
	sys_halt
}

setup() {
	require_root
}

# PROGRAM's plain --stats as root inside, into $stats.
plain() {
	stats=$(sys /usr/local/sbin/"$1" --stats) || fail "$1 --stats failed"
}

# The value of SAMPLE (name{labels}) in the written file.
sample() {
	sys awk -v s="$1" '$1 == s { print $2 }' "$PROM"
}

@test "the metrics service writes every program's metrics, equal to --stats, 0644, after real traffic; the timer repeats it" {
	local u=/usr/local/lib/systemd/system
	run sys systemd-analyze verify $u/sockclock-metrics.service $u/sockclock-metrics.timer
	assert_success
	assert_output ""
	run sys systemctl is-enabled sockclock-metrics.timer
	assert_output disabled
	for i in 1 2 3; do
		run sys $PY "$TOP/tests/helpers/ntp.py" 123
		assert_output --regexp '^len=48 '
	done
	run sys socat -T5 - UDP4:127.0.0.1:13 <<<"x"
	assert_output --regexp $'\r$'
	run sys sockclock-test-keclient --ca=/etc/sockclock-test/ca.crt 127.0.0.1 4460
	assert_success
	run sys sockclock-test-keclient --ca=/etc/sockclock-test/ca.crt --alpn= 127.0.0.1 4460
	assert_failure 1
	sys_wait_inactive nts-ke-tcp.service || fail "nts-ke-tcp.service still active"
	sys_wait_inactive sntp-udp.service || fail "sntp-udp.service still active"
	sys_wait_inactive daytime-udp.service || fail "daytime-udp.service still active"
	run sys stat -c '%a %U' /run/sockclock/nts-ke-tcp /run/sockclock/nts-ke-tcp/nts-ke-tcp.state
	assert_output "$(printf '700 sockclock-ntske\n600 sockclock-ntske')"

	run sys systemctl start sockclock-metrics.service
	[ "$status" = 0 ] ||
		fail "$(sys journalctl -b -u sockclock-metrics.service -o cat --no-pager)"
	run sys stat -c %a "$PROM"
	assert_output 644
	run sys setpriv --reuid=nobody --regid=nogroup --clear-groups head -c1 "$PROM"
	assert_success
	run sys ls -A /var/lib/prometheus/node-exporter
	assert_output sockclock.prom
	run sys $PY -c "
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open('$PROM').read()))
print(sorted({s.labels['program'] for f in fams for s in f.samples}))"
	assert_output "['daytime-udp', 'nts-ke-tcp', 'sntp-udp']"
	plain sntp-udp
	[ "$(sample 'sockclock_requests_answered_total{program="sntp-udp"}')" = \
		"$(sed -n 's/^requests-answered: //p' <<<"$stats")" ] || fail "sntp-udp: $stats"
	grep -qx 'requests-answered: 3' <<<"$stats" || fail "$stats"
	plain daytime-udp
	[ "$(sample 'sockclock_requests_answered_total{program="daytime-udp"}')" = 1 ] ||
		fail "daytime-udp: $(sys cat "$PROM")"
	plain nts-ke-tcp
	grep -qx 'exchanges-completed: 1' <<<"$stats" || fail "$stats"
	grep -qx 'refused-alpn: 1' <<<"$stats" || fail "$stats"
	[ "$(sample 'sockclock_nts_ke_exchanges_total{program="nts-ke-tcp"}')" = 1 ]
	[ "$(sample 'sockclock_nts_ke_refused_total{program="nts-ke-tcp",reason="alpn"}')" = 1 ]
	[ "$(sample 'sockclock_nts_cookies_issued_total{program="nts-ke-tcp"}')" = 8 ]
	fp=$(sed -n 's/^nts-key-fingerprint: //p' <<<"$stats")
	[ -n "$(sample "sockclock_nts_key_info{program=\"nts-ke-tcp\",fingerprint=\"$fp\"}")" ] ||
		fail "no key info for $fp: $(sys cat "$PROM")"

	# The timer: the file is written again (its inode changes: a rename).
	ino=$(sys stat -c %i "$PROM")
	sys systemctl start sockclock-metrics.timer
	for i in $(seq 400); do
		[ "$(sys stat -c %i "$PROM")" != "$ino" ] && break
		sleep 0.1
	done
	[ "$(sys stat -c %i "$PROM")" != "$ino" ] || fail "not written again in 40 s"
	run sys systemctl show -P AccuracyUSec sockclock-metrics.timer
	assert_output 1s
	sys systemctl stop sockclock-metrics.timer
}

@test "the metrics service's sandbox: no NTS key file, no /etc, no network; its exposure score" {
	local d=/run/systemd/system/sockclock-metrics.service.d
	sys mkdir -p "$d"
	sys sh -c "printf '[Service]\nExecStart=\nExecStart=/bin/sh -c \"ls /var/lib/sockclock /etc/sockclock /etc/shadow; ls /run/sockclock; exit 3\"\n' >$d/probe.conf"
	sys systemctl daemon-reload
	run sys systemctl start sockclock-metrics.service
	sys rm -rf "$d"
	sys systemctl daemon-reload
	assert_failure
	run sys journalctl -b -u sockclock-metrics.service -o cat --no-pager
	assert_output --partial "cannot access '/var/lib/sockclock': No such file or directory"
	assert_output --partial "cannot access '/etc/sockclock': No such file or directory"
	assert_output --partial "cannot access '/etc/shadow': No such file or directory"
	assert_line daytime-udp
	run sys systemd-analyze security sockclock-metrics.service
	echo "# $(tail -n1 <<<"$output")" >&3
	assert_output --regexp 'Overall exposure level for sockclock-metrics.service: 0\.[0-9] '
}
