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

# xinetd_start DIR PORT...: the real xinetd on DIR/xinetd.conf in the
# background (its PID in DIR/xinetd.bgpid, its logs in DIR), then wait
# until each PORT listens.
xinetd_start() {
	local d=$1 p
	shift
	xinetd -dontfork -filelog "$d/xinetd.log" -pidfile "$d/xinetd.pid" \
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
