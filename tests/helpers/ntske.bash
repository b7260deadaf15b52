# SPDX-License-Identifier: ISC
# Shared by the NTS suites: a private CA and a server certificate for
# 127.0.0.1 (certtool), and the KE client of tests/bench/keclient.c.
# Call ntske_setup_file from setup_file; the files land in
# $BATS_FILE_TMPDIR (CA: ca.crt; server: srv.crt, srv.key).

ntske_certs() { # DIR: a CA and a server certificate signed by it
	local d=$1
	cat >"$d/ca.tmpl" <<'T'
cn = "sockclock test CA"
ca
cert_signing_key
expiration_days = 3650
T
	cat >"$d/srv.tmpl" <<'T'
cn = "127.0.0.1"
ip_address = "127.0.0.1"
dns_name = "localhost"
tls_www_server
signing_key
expiration_days = 3650
T
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/ca.key" &&
		certtool --generate-self-signed --load-privkey "$d/ca.key" \
			--template "$d/ca.tmpl" --outfile "$d/ca.crt" &&
		certtool --generate-privkey --key-type=ecdsa --outfile "$d/srv.key" &&
		certtool --generate-certificate --load-privkey "$d/srv.key" \
			--load-ca-certificate "$d/ca.crt" --load-ca-privkey "$d/ca.key" \
			--template "$d/srv.tmpl" --outfile "$d/srv.crt"
}

ntske_setup_file() {
	ntske_certs "$BATS_FILE_TMPDIR" >"$BATS_FILE_TMPDIR/certtool.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/certtool.log" >&2; return 1; }
	cc -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -pthread \
		-o "$BATS_FILE_TMPDIR/keclient" "$TOP/tests/bench/keclient.c" \
		"$TOP/common/proto/kerecords.c" "$TOP/common/proto/cookiekeys.c" "$TOP/common/sys/cookiekeyfile.c" "$TOP/common/sys/fullio.c" \
		"$TOP/common/proto/ntscookie.c" -lgnutls -lnettle
}

# A certificate for the KE host at ADDR instead of 127.0.0.1, signed by
# the CA of ntske_setup_file: $BATS_FILE_TMPDIR/NAME.crt, with the
# server's key (the network-namespace suites serve another address).
ntske_cert_for() { # ADDR NAME
	local d=$BATS_FILE_TMPDIR
	sed "s/127.0.0.1/$1/" "$d/srv.tmpl" >"$d/$2.tmpl"
	certtool --generate-certificate --load-privkey "$d/srv.key" \
		--load-ca-certificate "$d/ca.crt" --load-ca-privkey "$d/ca.key" \
		--template "$d/$2.tmpl" --outfile "$d/$2.crt" >/dev/null 2>&1
}

# For sys_boot, after ntske_setup_file: the shell lines that install the
# build into $ROOT with the test's NTS-KE certificate and key where the
# units look (/etc/sockclock), the CA and keclient for the client side
# (/etc/sockclock-test, sockclock-test-keclient), and the system users.
ntske_sys_install() {
	local f=$BATS_FILE_TMPDIR
	cat <<EOF
make -s -C '$TOP' install DESTDIR="\$ROOT" INSTALL_BIN='$BIN'
install -d -m 755 "\$ROOT/etc/sockclock" "\$ROOT/etc/sockclock-test"
install -m 644 '$f/srv.crt' "\$ROOT/etc/sockclock/nts-ke.crt"
install -m 600 '$f/srv.key' "\$ROOT/etc/sockclock/nts-ke.key"
install -m 644 '$f/ca.crt' "\$ROOT/etc/sockclock-test/ca.crt"
install -m 755 '$f/keclient' "\$ROOT/usr/local/bin/sockclock-test-keclient"
systemd-sysusers --root="\$ROOT"
EOF
}

# keclient against 127.0.0.1:PORT with the test CA; extra args first.
keclient() {
	local port=$1; shift
	"$BATS_FILE_TMPDIR/keclient" --ca="$BATS_FILE_TMPDIR/ca.crt" "$@" 127.0.0.1 "$port"
}

# The certificate options of nts-ke-tcp for the test's server, and a
# key file of the test's own.
KE_OPTS() {
	echo "--cert=$BATS_FILE_TMPDIR/srv.crt --key=$BATS_FILE_TMPDIR/srv.key --nts-keys=$BATS_TEST_TMPDIR/nts-keys"
}

# chronyd -Q as the NTS client of 127.0.0.1: KE on KE_PORT, NTP on
# NTP_PORT (what the KE server names overrides it); sets $offset from
# "System clock wrong by X seconds", which chronyd prints for
# authenticated samples only. Extra chronyd lines after the ports.
nts_chrony() {
	local ke=$1 ntp=$2 d="$BATS_TEST_TMPDIR/chrony"; shift 2
	mkdir -p "$d"
	{
		echo "server 127.0.0.1 port $ntp nts ntsport $ke iburst minpoll -4 maxpoll -4 maxsamples 4"
		echo "ntstrustedcerts $BATS_FILE_TMPDIR/ca.crt"
		echo "nosystemcert"
		echo "cmdport 0"
		echo "pidfile $d/chronyd.pid"
		printf '%s\n' "$@"
	} >"$d/conf"
	run timeout 40 chronyd -Q -u root -f "$d/conf" -t 20
	assert_success
	wrong=$(grep -o 'System clock wrong by [-0-9.e]* seconds' <<<"$output") ||
		fail "no authenticated sample from chronyd: $output"
	offset=$(awk '{ print $5 }' <<<"$wrong")
	echo "# chronyd (NTS): $wrong" >&3
}

# |x| < 1 ms
under_1ms() {
	awk -v x="$1" 'BEGIN { if (x < 0) x = -x; exit !(x < 0.001) }' ||
		fail "offset $1 s not under 1 ms"
}
