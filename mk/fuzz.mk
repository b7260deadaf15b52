# libFuzzer harnesses (fuzz/*.c) over the pure parts of common/.
#   make fuzz [FUZZ_SECONDS=N]   each harness for N s (default 300: well
#                                over 10 million runs each on one core)
#   make check-fuzz              replay the seed corpus, then a short run
#                                of each (FUZZ_CHECK_SECONDS, default 6)
# Counts of each run: build/fuzz/<harness>.log, summed up in
# build/fuzz/counts.txt.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CHECK_SECONDS ?= 6
FUZZ_HARNESSES := request daytime timestamp describe
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=gnu11 -D_GNU_SOURCE $(WARN) $(SYSTEMD_CFLAGS) -O1 -g $(FUZZ_FLAGS)
FUZZ_OBJS     = $(COMMON:%=$(FUZZ_DIR)/common/%.o)
FUZZ_BINS     = $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/%)
# Leaks are checked; a slow unit (over 1 s) is a finding too.
FUZZ_RUN_FLAGS = -timeout=1 -rss_limit_mb=1024 -print_final_stats=1

.PHONY: fuzz check-fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/common/%.o: common/%.c common/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/%: fuzz/%.c fuzz/input.h $(FUZZ_OBJS) common/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# One run: fuzz_run HARNESS SECONDS. New inputs go to build/fuzz/corpus,
# never into the repository's seeds; findings to build/fuzz/artifacts.
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/artifacts
	@echo "fuzz $(1): $(2) s"
	@$(FUZZ_DIR)/$(1) $(FUZZ_RUN_FLAGS) -max_total_time=$(2) \
		-artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)- \
		$(FUZZ_DIR)/corpus/$(1) fuzz/corpus/$(1) >$(FUZZ_DIR)/$(1).log 2>&1 || \
		{ tail -n 40 $(FUZZ_DIR)/$(1).log; echo "fuzz $(1): FAILED (log: $(FUZZ_DIR)/$(1).log)"; exit 1; }
	@awk -v h=$(1) -v s=$(2) '/number_of_executed_units/ { n = $$2 } \
		/stat::peak_rss_mb/ { r = $$2 } \
		END { printf "%-10s %12d runs in %s s, peak RSS %s MB\n", h, n, s, r }' \
		$(FUZZ_DIR)/$(1).log | tee -a $(FUZZ_DIR)/counts.txt
endef

fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_DIR); date -u "+# make fuzz %FT%TZ, FUZZ_SECONDS=$(FUZZ_SECONDS)" >>$(FUZZ_DIR)/counts.txt
	$(foreach h,$(FUZZ_HARNESSES),$(call fuzz_run,$(h),$(FUZZ_SECONDS))
	)

# For make check: every seed must pass as is, then a few seconds each.
check-fuzz: $(FUZZ_BINS)
	@for h in $(FUZZ_HARNESSES); do \
		$(FUZZ_DIR)/$$h -runs=0 fuzz/corpus/$$h >$(FUZZ_DIR)/$$h.replay.log 2>&1 || \
		{ tail -n 40 $(FUZZ_DIR)/$$h.replay.log; echo "fuzz $$h: seed replay FAILED"; exit 1; }; \
		echo "fuzz $$h: $$(ls fuzz/corpus/$$h | wc -l) seeds replayed"; \
	done
	$(foreach h,$(FUZZ_HARNESSES),$(call fuzz_run,$(h),$(FUZZ_CHECK_SECONDS))
	)
