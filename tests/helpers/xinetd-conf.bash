# SPDX-License-Identifier: ISC
# xinetd configuration for the tests and make bench. Plain bash: bats
# suites `load helpers/xinetd-conf`, tests/bench/bench.sh sources it.

# xinetd_service NAME stream|dgram PORT [KEY=VALUE...]: print a service
# stanza bound to 127.0.0.1:PORT; protocol tcp with wait = no for stream,
# udp with wait = yes for dgram; type UNLISTED unless a type=... is
# given. Each KEY=VALUE adds the line "KEY = VALUE", in order (an empty
# VALUE is allowed: "log_on_success=").
xinetd_service() {
	local name=$1 kind=$2 port=$3 proto=tcp wait=no kv value
	shift 3
	[ "$kind" = dgram ] && { proto=udp; wait=yes; }
	printf 'service %s\n{\n' "$name"
	[[ " ${*%%=*} " == *" type "* ]] || printf '\t%-15s = %s\n' type UNLISTED
	printf '\t%-15s = %s\n' socket_type "$kind" protocol "$proto" \
		wait "$wait" bind 127.0.0.1 port "$port"
	for kv in "$@"; do
		value=${kv#*=}
		printf '\t%-15s =%s\n' "${kv%%=*}" "${value:+ $value}"
	done
	printf '}\n'
}

# xinetd_users DIR: DIR/root/etc with copies of the host's passwd, group,
# shadow and gshadow, for make install SYSUSERS="systemd-sysusers
# --root=DIR/root" to add sockclock's system users to, and for
# xinetd_start to put over /etc/passwd and /etc/group in a mount
# namespace of its own: xinetd and its servers know the users, the host
# gets none (suites running side by side would share them).
xinetd_users() {
	local d=$1 f
	install -d -m 755 "$d/root" "$d/root/etc"
	for f in passwd group shadow gshadow; do
		cp -p "/etc/$f" "$d/root/etc/$f"
	done
}

# xinetd_install DIR: a directory nobody can read, sockclock installed
# under it (PREFIX=DIR, the xinetd files in DIR/installed, the cron file
# in DIR/cron.d) with its users in DIR/root/etc (xinetd_users) and the
# directories of its tmpfiles.d file under DIR/root.
xinetd_install() {
	local d=$1
	chmod 755 "$d"
	xinetd_users "$d"
	make -s -C "$TOP" install PREFIX="$d" XINETDDIR="$d/installed" CRONDIR="$d/cron.d" \
		INSTALL_BIN="$BIN" SYSUSERS="systemd-sysusers --root=$d/root" >"$d/install.log" 2>&1 ||
		{ cat "$d/install.log" >&2; return 1; }
	systemd-tmpfiles --root="$d/root" --create "$d/lib/tmpfiles.d/sockclock.conf"
}

# xinetd_id DIR u|g NAME: the UID or GID of NAME in DIR/root/etc.
xinetd_id() {
	local f=passwd
	[ "$2" = u ] || f=group
	awk -F: -v n="$3" '$1 == n { print $3 }' "$1/root/etc/$f"
}

# xinetd_children DIR NAME [TEXT]: the PIDs of the servers of the xinetd
# of xinetd_start that run the program NAME (with TEXT in their command
# line): its children, never another test's processes of that name.
xinetd_children() {
	local d=$1 c
	for c in $(pgrep -P "$(cat "$d/xinetd.bgpid")"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = "$2" ] || continue
		[ -z "${3:-}" ] || tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -qF -- "$3" || continue
		echo "$c"
	done
}

# xinetd_start DIR PORT...: the real xinetd on DIR/xinetd.conf in the
# background (its PID in DIR/xinetd.bgpid, its logs in DIR), then wait
# until each PORT listens. With DIR/root/etc/passwd (xinetd_users), in a
# mount namespace that has DIR's passwd and group.
xinetd_start() {
	local d=$1 p ns=()
	shift
	[ -f "$d/root/etc/passwd" ] &&
		ns=(unshare --mount --propagation private sh -c 'mount --bind "$1/root/etc/passwd" /etc/passwd &&
			mount --bind "$1/root/etc/group" /etc/group && shift && exec "$@"' sh "$d")
	"${ns[@]}" xinetd -dontfork -filelog "$d/xinetd.log" -pidfile "$d/xinetd.pid" \
		-f "$d/xinetd.conf" >"$d/xinetd.out" 2>&1 &
	echo $! >"$d/xinetd.bgpid"
	for p in "$@"; do
		wait_listening "$p" || { cat "$d/xinetd.out" "$d/xinetd.log" >&2; return 1; }
	done
}

# xinetd_stop DIR: end the xinetd of xinetd_start by its PID (SIGKILL
# after 5 s) and remove DIR.
xinetd_stop() {
	local d=$1 pid
	pid=$(cat "$d/xinetd.bgpid" 2>/dev/null) || pid=
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$d"
}
