# SPDX-License-Identifier: ISC
# libFuzzer harnesses (fuzz/*.c) over the pure parts of common/:
# request validation and replies, the daytime formatter (with formats
# of its own choosing for --format=+FORMAT), timestamps, --dump's
# description, the rate limit, the NTS extension fields and answer
# (ntsntp), NTS cookies and the key file's layout (ntscookie), the NTS-KE
# records (ntske), chronyd's tracking reply and the header from it
# (chronycmd), timesyncd's record in the state file and the header from
# it (timesyncd), the cookie keys derived from a master secret with the
# cookie opener (masterkey). Seeds: fuzz/mkcorpus.py.
#   make fuzz [FUZZ_SECONDS=N]   each harness for N s (default 300: well
#                                over 10 million runs each on one core)
#   make check-fuzz              replay the seed corpus, then a short run
#                                of each (FUZZ_CHECK_SECONDS, default 1)
# Counts of each run: build/fuzz/<harness>.log, summed up in
# build/fuzz/counts.txt.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CHECK_SECONDS ?= 1
FUZZ_HARNESSES := ntp chronycmd timesyncd daytime ntp_time ntp_describe ratelimit kerecords ntsntp ntscookie statefmt symkeyfile symkeymac masterkey
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_FLAGS   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=gnu11 -D_GNU_SOURCE $(WARN) $(SYSTEMD_CFLAGS) $(VERSION_CFLAGS) -O1 -g $(FUZZ_FLAGS)
FUZZ_OBJS     = $(COMMON:%=$(FUZZ_DIR)/common/%.o)
FUZZ_BINS     = $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/%)
# Leaks are checked; a slow unit (over 1 s) is a finding too.
FUZZ_RUN_FLAGS = -timeout=1 -rss_limit_mb=1024 -print_final_stats=1

.PHONY: fuzz check-fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/common/%.o: common/%.c common/*/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/%: fuzz/%.c fuzz/*.h $(FUZZ_OBJS) common/*/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

# Run each harness for $$secs s. New inputs go to build/fuzz/corpus,
# never into the repository's seeds; findings to build/fuzz/artifacts.
FUZZ_LOOP = for h in $(FUZZ_HARNESSES); do \
	mkdir -p $(FUZZ_DIR)/corpus/$$h $(FUZZ_DIR)/artifacts; \
	echo "fuzz $$h: $$secs s"; \
	$(FUZZ_DIR)/$$h $(FUZZ_RUN_FLAGS) -max_total_time=$$secs \
		-artifact_prefix=$(FUZZ_DIR)/artifacts/$$h- \
		$(FUZZ_DIR)/corpus/$$h fuzz/corpus/$$h >$(FUZZ_DIR)/$$h.log 2>&1 || \
	{ tail -n 40 $(FUZZ_DIR)/$$h.log; \
	  echo "fuzz $$h: FAILED (log: $(FUZZ_DIR)/$$h.log)"; exit 1; }; \
	awk -v h=$$h -v s=$$secs '/number_of_executed_units/ { n = $$2 } \
		/peak_rss_mb/ { r = $$2 } \
		END { printf "%-10s %12d runs in %s s, peak RSS %s MB\n", h, n, s, r }' \
		$(FUZZ_DIR)/$$h.log | tee -a $(FUZZ_DIR)/counts.txt; \
	done

fuzz: $(FUZZ_BINS)
	@date -u "+# make fuzz %FT%TZ" >>$(FUZZ_DIR)/counts.txt
	@secs=$(FUZZ_SECONDS); $(FUZZ_LOOP)

# For make check: every seed must pass as is, then a few seconds each.
check-fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_DIR)/artifacts
	@for h in $(FUZZ_HARNESSES); do \
		$(FUZZ_DIR)/$$h -runs=0 -artifact_prefix=$(FUZZ_DIR)/artifacts/$$h- \
			fuzz/corpus/$$h >$(FUZZ_DIR)/$$h.replay.log 2>&1 || \
		{ tail -n 40 $(FUZZ_DIR)/$$h.replay.log; echo "fuzz $$h: seed replay FAILED"; exit 1; }; \
		echo "fuzz $$h: $$(ls fuzz/corpus/$$h | wc -l) seeds replayed"; \
	done
	@date -u "+# make check-fuzz %FT%TZ" >>$(FUZZ_DIR)/counts.txt
	@secs=$(FUZZ_CHECK_SECONDS); $(FUZZ_LOOP)
