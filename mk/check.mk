# SPDX-License-Identifier: ISC
# make check: unit tests of common/ (normal and sanitizer builds), a short
# fuzzing run of each harness, then every bats suite against the normal
# programs and the ASan+UBSan ones.
.PHONY: check check-layout check-bats check-asan
check: check-layout deps
	@$(MAKE) -j2 --no-print-directory all asan
	@$(MAKE) --no-print-directory check-unit
	@$(MAKE) -j2 --no-print-directory check-fuzz
	@$(MAKE) --no-print-directory check-bats
	@$(MAKE) --no-print-directory check-asan

check-bats: all
	tests/run

# The same suites against build/asan; any sanitizer report fails a run.
check-asan: asan
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		tests/run $(CURDIR)/$(ASAN_DIR)

# What each folder of common/ may include (doc/dev/DESIGN.md): proto/ no
# I/O and nothing above it, sys/ no tls/, and only nts-ke-tcp links tls/.
check-layout:
	/usr/bin/python3 scripts/check-layout
