# SPDX-License-Identifier: ISC
# make check-unit: the C unit tests of common/ (tests/unit/test_*.c),
# each linked against the objects of the normal build (build/unit/) and
# of the ASan+UBSan build (build/asan/unit/); all are run, any failure
# fails the target.
UNIT_TESTS     := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_BINS      := $(UNIT_TESTS:%=$(BUILD)/unit/%)
UNIT_ASAN_BINS := $(UNIT_TESTS:%=$(ASAN_DIR)/unit/%)
UNIT_CFLAGS     = $(ALL_CFLAGS) -Icommon -Itests/unit

# Only the activation test links libsystemd: it checks act_find against
# sd_listen_fds(), the reference for the protocol.
SYSTEMD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
$(BUILD)/unit/test_activation $(ASAN_DIR)/unit/test_activation: UNIT_LIBS = $(SYSTEMD_LIBS)

$(BUILD)/unit/test_%: tests/unit/test_%.c tests/unit/*.h $(OBJS) common/*/*.h
	@mkdir -p $(dir $@)
	$(call Q,CC) $(CC) $(UNIT_CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(UNIT_LIBS) $(LDLIBS)

$(ASAN_DIR)/unit/test_%: tests/unit/test_%.c tests/unit/*.h $(ASAN_OBJS) common/*/*.h
	@mkdir -p $(dir $@)
	$(call Q,CC) $(CC) $(UNIT_CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $< $(ASAN_OBJS) $(UNIT_LIBS) $(LDLIBS)

.PHONY: check-unit unit-tests
unit-tests: $(UNIT_BINS) $(UNIT_ASAN_BINS)

check-unit: unit-tests
	@fail=0; \
	for t in $(UNIT_BINS) $(UNIT_ASAN_BINS); do \
		ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			"$$t" >"$$t.out" 2>&1; rc=$$?; \
		sed "s|^|$$t: |" "$$t.out"; \
		[ $$rc = 0 ] || { echo "$$t: FAILED (exit $$rc)"; fail=1; }; \
	done; \
	exit $$fail
