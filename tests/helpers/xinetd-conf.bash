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
