# SPDX-License-Identifier: ISC
# make bench: per-request cost, throughput and accuracy against the
# static one-line program, xinetd's builtin, chronyd and a minimal
# batching responder. Prints one table; thresholds
# live in that table, never in make check.
BENCH_DIR     := $(BUILD)/bench
BENCH_CFLAGS  := -O2 -Wall -Wextra -Werror
BENCH_CLIENTS := execloop tcpload udpload udpref ntpacc udpfirst

.PHONY: bench
bench: all $(BENCH_CLIENTS:%=$(BENCH_DIR)/%) $(BENCH_DIR)/oneline $(BENCH_DIR)/keclient $(BENCH_DIR)/ntsload $(BENCH_DIR)/macload
	@tests/bench/bench.sh $(CURDIR)/$(BENCH_DIR)
	@tests/bench/ke-bench.sh $(CURDIR)/$(BENCH_DIR)
	@tests/bench/mac-bench.sh $(CURDIR)/$(BENCH_DIR)
	@tests/bench/up-bench.sh $(CURDIR)/$(BENCH_DIR)

# The upstream rows alone (issue 21): sntp-udp asking chronyd, exec to
# exit and 32 outstanding.
.PHONY: bench-upstream
bench-upstream: all $(BENCH_DIR)/execloop $(BENCH_DIR)/udpload $(BENCH_DIR)/udpref $(BENCH_DIR)/oneline
	@tests/bench/up-bench.sh $(CURDIR)/$(BENCH_DIR)

# The symmetric-key rows alone: sntp-udp --keys against
# chronyd serving the same key file.
.PHONY: bench-mac
bench-mac: all $(BENCH_DIR)/macload
	@tests/bench/mac-bench.sh $(CURDIR)/$(BENCH_DIR)
$(BENCH_DIR)/macload: tests/bench/macload.c tests/bench/udpclient.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -std=gnu11 -D_GNU_SOURCE -o $@ $< -lnettle

# The NTS-KE rows alone.
.PHONY: bench-ke
bench-ke: all $(BENCH_DIR)/oneline $(BENCH_DIR)/keclient $(BENCH_DIR)/ntsload
	@tests/bench/ke-bench.sh $(CURDIR)/$(BENCH_DIR)

$(BENCH_DIR)/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -pthread -o $@ $< -lm

$(BENCH_DIR)/udpload: tests/bench/udpclient.h

# The floor: a static program that writes one line.
$(BENCH_DIR)/oneline: tests/bench/oneline.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -static -o $@ $<

# make bench-systemd: the cost of each activation and of each hardening
# option under a booted systemd (root). Not part of make bench
# or make check: it boots a systemd in namespaces for a minute or two.
.PHONY: bench-systemd
bench-systemd: all $(BENCH_DIR)/tcpload $(BENCH_DIR)/udpfirst $(BENCH_DIR)/keclient
	@tests/bench/sysbench.sh $(CURDIR)/$(BENCH_DIR)

# The NTS-KE load client: GnuTLS, with the record codec and cookie
# opening of common/ (it checks the cookies it is given).
$(BENCH_DIR)/keclient: tests/bench/keclient.c common/proto/kerecords.c common/proto/cookiekeys.c common/sys/cookiekeyfile.c common/sys/fullio.c common/proto/ntscookie.c common/*/*.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -std=gnu11 -D_GNU_SOURCE -pthread -o $@ $(filter %.c,$^) $(GNUTLS_LIBS) -lnettle
# The NTS NTP load client: the extension-field reader of common/, Nettle.
$(BENCH_DIR)/ntsload: tests/bench/ntsload.c tests/bench/udpclient.h common/proto/ntsntp.c common/proto/ntscookie.c common/proto/cookiekeys.c common/sys/cookiekeyfile.c common/sys/fullio.c common/*/*.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -std=gnu11 -D_GNU_SOURCE -o $@ $(filter %.c,$^) -lnettle
