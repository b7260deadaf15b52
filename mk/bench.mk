# make bench: per-request cost, throughput and accuracy against the
# static one-line program, xinetd's builtin, chronyd and a minimal
# batching responder (issues 3 and 4). Prints one table; thresholds
# live in that table, never in make check.
BENCH_DIR     := $(BUILD)/bench
BENCH_CFLAGS  := -O2 -Wall -Wextra -Werror
BENCH_CLIENTS := execloop tcpload udpload udpref ntpacc

.PHONY: bench
bench: all $(BENCH_CLIENTS:%=$(BENCH_DIR)/%) $(BENCH_DIR)/oneline
	@tests/bench/bench.sh $(CURDIR)/$(BENCH_DIR)

$(BENCH_DIR)/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -pthread -o $@ $< -lm

# The floor: a static program that writes one line.
$(BENCH_DIR)/oneline: tests/bench/oneline.c
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -static -o $@ $<
