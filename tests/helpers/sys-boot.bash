# SPDX-License-Identifier: ISC
# A real systemd as PID 1 for the tests, in private PID, mount, network,
# UTS and cgroup namespaces, on an overlay of / whose upper layer is a
# tmpfs, with its own tmpfs on /run and /tmp: a systemd booted on the
# host's root would run its boot-time cleanup there (it wipes /tmp).
# It starts sockets.target only, not multi-user.target, which would start
# every daemon enabled on this machine.
#
#   sys_boot [PREPARE]   boots it; sets SYS_PID (systemd, as the host sees
#                        it). PREPARE is a shell command run first, with
#                        ROOT set to the new root (the overlay, mounted)
#   sys CMD...           runs CMD inside (systemctl, journalctl, clients)
#   sys_wait_inactive U  waits (10 s at most) until unit U is inactive
#   sys_halt             poweroff, then SIGKILL by PID if it hangs; removes
#                        our cgroups and SYS_DIR
#
# Every mount is made inside the private mount namespace, so it goes away
# with the last process in it; the host sees only SYS_DIR and the cgroup
# subtree below the test's own cgroups (removed by sys_halt).

SYS_DIR=${SYS_DIR:-}
SYS_PID=${SYS_PID:-}
SYS_UNSHARE_PID=${SYS_UNSHARE_PID:-}

# The body run inside unshare: build the root, run the preparation
# (e.g. make install DESTDIR="$ROOT") while the host's tree is still
# visible, then make the overlay the root and become systemd there.
# pivot_root rather than chroot: the kernel refuses new user namespaces
# (PrivateUsers=) to a chrooted process.
_sys_root_and_exec() {
	local d=$1 prepare=$2
	set -e
	mount --make-rprivate /
	mount -t tmpfs -o mode=755 sockclock-sys "$d/layers"
	mkdir "$d/layers/upper" "$d/layers/work"
	mount -t overlay sockclock-sys \
		-o "lowerdir=/,upperdir=$d/layers/upper,workdir=$d/layers/work" "$d/root"
	mount -t tmpfs -o mode=755 sockclock-run "$d/root/run"
	mount -t tmpfs -o mode=1777 sockclock-tmp "$d/root/tmp"
	# The source tree, at the same path inside (it may be on another
	# file system than /, which the overlay does not show).
	if [ -n "${TOP:-}" ]; then
		mkdir -p "$d/root$TOP"
		mount --bind "$TOP" "$d/root$TOP"
	fi
	ROOT=$d/root bash -c "$prepare" >"$d/prepare.log" 2>&1 ||
		{ echo "preparation failed: $prepare"; cat "$d/prepare.log"; exit 1; }
	mkdir "$d/root/.old-root"
	mount -t proc proc "$d/root/proc" # the new PID namespace's
	cd "$d/root"
	pivot_root . .old-root
	cd /
	umount -l /.old-root
	rmdir /.old-root
	# Shared, as a booted systemd makes / itself unless it thinks it is in
	# a container (this one does: it sees the host's /.dockerenv). Its
	# LoadCredential= mounts a ramfs in a child mount namespace, which
	# reaches PID 1's namespace only through a shared mount; on private
	# ones every service found an empty root-only directory (EACCES).
	mount --make-rshared /
	exec /lib/systemd/systemd --unit=sockets.target --show-status=no \
		--log-target=journal
}

# A cgroup of our own in every hierarchy systemd writes to, so that it
# builds its tree below ours (the cgroup namespace roots it there).
_sys_cgroups_enter() {
	local lines line hier path dir
	mapfile -t lines </proc/self/cgroup # read all before moving
	for line in "${lines[@]}"; do
		hier=${line#*:} path=${hier#*:} hier=${hier%%:*}
		case $hier in
		"") dir=/sys/fs/cgroup/unified
		    [ -d "$dir" ] || dir=/sys/fs/cgroup ;;
		name=systemd) dir=/sys/fs/cgroup/systemd ;;
		memory | pids | devices) dir=/sys/fs/cgroup/$hier ;;
		*) continue ;;
		esac
		[ -w "$dir$path" ] || continue
		dir="$dir${path%/}/sockclock-sys.$$"
		mkdir -p "$dir" && echo "$BASHPID" >"$dir/cgroup.procs" &&
			echo "$dir"
	done
}

sys_boot() {
	local prepare=${1:-true}
	SYS_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/sys.XXXXXX")
	mkdir "$SYS_DIR/layers" "$SYS_DIR/root"
	(
		_sys_cgroups_enter >"$SYS_DIR/cgroups"
		TOP=${TOP:-} exec unshare --pid --fork --mount --net --uts --cgroup --mount-proc \
			bash -c "$(declare -f _sys_root_and_exec); _sys_root_and_exec \"\$0\" \"\$1\"" "$SYS_DIR" "$prepare" \
			>"$SYS_DIR/console.log" 2>&1 </dev/null
	) &
	SYS_UNSHARE_PID=$!
	local i state
	for i in $(seq 150); do
		kill -0 "$SYS_UNSHARE_PID" 2>/dev/null || break
		SYS_PID=$(pgrep -P "$SYS_UNSHARE_PID" -x systemd || true)
		if [ -n "$SYS_PID" ]; then
			state=$(sys systemctl is-system-running 2>/dev/null || true)
			case $state in running | degraded) break ;; esac
		fi
		sleep 0.2
	done
	export SYS_DIR SYS_PID SYS_UNSHARE_PID # for the tests after setup_file
	if [ -z "$SYS_PID" ] || [ "$state" != running ]; then
		echo "systemd did not boot (state: ${state:-none}):" >&2
		tail -20 "$SYS_DIR/console.log" >&2
		return 1
	fi
	# Bring up loopback for the clients and the sockets.
	sys ip link set lo up
}

sys() {
	nsenter -t "$SYS_PID" -m -p -u -n -r -w "$@"
}

sys_wait_inactive() {
	local i
	for i in $(seq 100); do
		[ "$(sys systemctl is-active "$1")" = inactive ] && return 0
		sleep 0.1
	done
	return 1
}

sys_halt() {
	local i
	if [ -n "$SYS_PID" ] && kill -0 "$SYS_PID" 2>/dev/null; then
		timeout 10 nsenter -t "$SYS_PID" -m -p -u -n -r -w \
			systemctl poweroff --no-block >/dev/null 2>&1 || true
		for i in $(seq 100); do
			kill -0 "$SYS_PID" 2>/dev/null || break
			sleep 0.1
		done
		# Last resort: PID 1 of the namespace takes all of it along.
		kill -KILL "$SYS_PID" 2>/dev/null || true
	fi
	if [ -n "$SYS_UNSHARE_PID" ]; then
		kill -KILL "$SYS_UNSHARE_PID" 2>/dev/null || true
		wait "$SYS_UNSHARE_PID" 2>/dev/null || true
	fi
	# Empty now: remove the cgroup trees, deepest first.
	local cg cgroups=()
	[ -f "$SYS_DIR/cgroups" ] && mapfile -t cgroups <"$SYS_DIR/cgroups"
	for cg in "${cgroups[@]}"; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	[ -n "$SYS_DIR" ] && rm -rf "$SYS_DIR"
	SYS_PID= SYS_UNSHARE_PID= SYS_DIR=
}

# The sanitizer build (tests/run build/asan): LeakSanitizer cannot run
# under the services' system-call filter (it stops the process the way a
# debugger does), so it is off there; ASan and UBSan stay on, and the
# other suites check for leaks.
asan_dropin() {
	[ "$BIN" != "$TOP" ] || return 0
	echo "mkdir -p \"\$ROOT/etc/systemd/system/service.d\"
		printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1\n' \
			>\"\$ROOT/etc/systemd/system/service.d/sockclock-asan.conf\""
}

# sys_as_unit UNIT SCRIPT: run the sh SCRIPT inside, in a transient
# service with the identity UNIT's processes get (its DynamicUser=,
# User=, Group=, SupplementaryGroups=) and its RuntimeDirectory= (under
# DynamicUser= reached through /run/private, which only such a unit can
# pass), as systemd gives them; stdout and stderr are SCRIPT's, the
# status its exit status.
sys_as_unit() {
	local unit=$1 script=$2 p v props=()
	for p in DynamicUser User Group SupplementaryGroups RuntimeDirectory \
		RuntimeDirectoryPreserve; do
		v=$(sys systemctl show -P "$p" "$unit")
		[ -n "$v" ] && props+=(-p "$p=$v")
	done
	sys systemd-run --wait --pipe --quiet --collect "${props[@]}" sh -c "$script"
}
