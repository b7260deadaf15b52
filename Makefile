# SPDX-License-Identifier: ISC
# sockclock: make all | run | check | install | uninstall | clean | bench | fuzz
STATIC_PROGRAMS := daytime-tcp daytime-udp sntp-udp
PROGRAMS := $(STATIC_PROGRAMS) nts-ke-tcp
COMMON   := proto/allow proto/chronycmd proto/cookiekeys proto/daytime proto/kerecords proto/keyprint proto/masterkey proto/metrics proto/ntp proto/ntscookie proto/ntsntp proto/ratelimit proto/siphash proto/srcaddr proto/statefmt proto/symkey proto/timesyncd proto/upstream proto/xleave sys/activation sys/clock sys/cookiekeyfile sys/daytimeprog sys/fullio sys/log sys/masterkeyfile sys/options sys/serve sys/state sys/stream sys/symkeyfile sys/timesyncq sys/txstamp sys/upstreamquery sys/warmup
# The TLS rooms: linked into nts-ke-tcp only, which is dynamic (GnuTLS
# has no static build on Debian: p11-kit ships no .a). It takes Nettle
# from the shared library GnuTLS loads anyway: one copy in the process.
TLS_COMMON := tls/tls tls/tlsserve
GNUTLS_LIBS := $(shell pkg-config --libs gnutls 2>/dev/null || echo -lgnutls)
TLS_LDLIBS  = $(GNUTLS_LIBS) -lnettle -lm -ldl

CC       ?= cc
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror
# libsystemd through pkg-config: its headers at build time; the library
# itself is loaded at run time, on the first journal message only.
SYSTEMD_CFLAGS := $(shell pkg-config --cflags libsystemd 2>/dev/null)
# The one version (VERSION): --version, the installed man pages, the
# package (debian/changelog and the README are checked against it).
VERSION := $(strip $(file < VERSION))
VERSION_CFLAGS := -DSOCKCLOCK_VERSION='"$(VERSION)"'
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(SYSTEMD_CFLAGS) $(VERSION_CFLAGS) $(CPPFLAGS) $(CFLAGS)
# Nettle (AES-SIV-CMAC, SHA-256 of the NTS key file) always from its
# static archive, so that a dynamic build loads no more than before.
NETTLE_LIBS := -l:libnettle.a
LDLIBS   += $(NETTLE_LIBS) -lm -ldl
# Static by default: every request pays for its process's start, and the
# dynamic loader alone costs more than the rest of a request (doc/dev/DESIGN.md,
# "Start-up is the product"). libsystemd is dlopen()ed on the first journal message, which
# glibc supports from a static program when the run-time glibc is the
# one linked against (a distribution rebuilds on upgrade); if it cannot
# be loaded, messages go to standard error, which systemd also journals.
# STATIC= builds dynamically. -w: the linker's note about that dlopen.
STATIC   ?= 1
PROG_LDFLAGS = $(if $(STATIC),-static -Wl$(comma)--no-warnings)
comma := ,

# Quiet by default; make V=1 shows the commands.
V ?= 0
Q = $(if $(filter 1,$(V)),,@echo "  $(1) $@";)

BUILD    := build
ASAN_DIR := $(BUILD)/asan
SAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer

OBJS      = $(COMMON:%=$(BUILD)/common/%.o)
ASAN_OBJS = $(COMMON:%=$(ASAN_DIR)/common/%.o)

.PHONY: all asan run check check-unit check-bats check-asan install uninstall clean deps
all: $(PROGRAMS)

# x86-64: arrays of 2 KB and more (the request buffers, the rate-limit
# table, the key-file texts) go to .lbss, after .bss, so the small
# variables a request touches share a few pages: every page touched is
# a page fault of the process that a request started (doc/dev/DESIGN.md).
LARGE_DATA := $(if $(filter x86_64-%,$(shell $(CC) -dumpmachine)),-mcmodel=medium -mlarge-data-threshold=2048)

$(BUILD)/%.o: %.c common/*/*.h
	@mkdir -p $(dir $@)
	$(call Q,CC) $(CC) $(ALL_CFLAGS) $(LARGE_DATA) -c -o $@ $<

$(ASAN_DIR)/%.o: %.c common/*/*.h
	@mkdir -p $(dir $@)
	$(call Q,CC) $(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(STATIC_PROGRAMS): %: $(BUILD)/%.o $(OBJS)
	$(call Q,LD) $(CC) $(ALL_CFLAGS) $(PROG_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

nts-ke-tcp: $(BUILD)/nts-ke-tcp.o $(OBJS) $(TLS_COMMON:%=$(BUILD)/common/%.o)
	$(call Q,LD) $(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(TLS_LDLIBS)

asan: $(PROGRAMS:%=$(ASAN_DIR)/%)
$(ASAN_DIR)/%: $(ASAN_DIR)/%.o $(ASAN_OBJS)
	$(call Q,LD) $(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(ASAN_DIR)/nts-ke-tcp: $(ASAN_DIR)/nts-ke-tcp.o $(ASAN_OBJS) $(TLS_COMMON:%=$(ASAN_DIR)/common/%.o)
	$(call Q,LD) $(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $^ $(TLS_LDLIBS)
.SECONDARY:
$(BUILD)/common/sys/options.o $(ASAN_DIR)/common/sys/options.o $(BUILD)/fuzz/common/sys/options.o: VERSION

# Installs what the build and the tests need, where it can (root, apt);
# make run needs the build's share and its queries' clients.
deps:
	@scripts/deps

run:
	@scripts/deps run
	@$(MAKE) --no-print-directory all
	@scripts/run

clean:
	rm -rf $(BUILD) $(PROGRAMS)

-include mk/*.mk
