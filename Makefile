# fosim — plain GNU make.  Everything is built under $(BUILD) (default build/).
#
#   make            build build/fosim and build/libfosim.a
#   make check      build and run every test; ends with "N passed, N failed"
#   make demo       run the bundled example scenario (a failover migration)
#   make asan       the test suite under AddressSanitizer + UBSan
#   make valgrind   the test suite under valgrind (memcheck, --error-exitcode)
#   make coverage   gcov build, suite, lcov/genhtml report, coverage of sim/ and spec/
#   make install    PREFIX=/usr/local DESTDIR= : binary and man page fosim(1)
#   make deps       install the Debian packages fosim needs (as root)
#   make lint       cppcheck, clang-tidy (.clang-tidy) and fosim's own source rules
#   make fuzz       libFuzzer + ASan/UBSan on every reader (FUZZ_SECONDS=180 each)
#   make format     clang-format the sources in place
#
# Source files are found by wildcard: add a file to sim/, spec/ or cli/ and it
# is built; add conformance/test_NAME.c and it becomes a test executable.

BUILD    ?= build
CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
OPT      ?= -O2 -g
SAN      ?=
COV      ?=
RUNNER   ?=
VERSION  := 0.1.0

DEB_PACKAGES := build-essential pkg-config libpcap-dev libcmocka-dev libjansson-dev lcov \
                libxml2-utils tcpdump valgrind

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
# clang does not know some of gcc's warning options (-Wno-format-truncation).
ifneq (,$(findstring clang,$(CC)))
WARN     += -Wno-unknown-warning-option
endif
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -DFOSIM_VERSION='"$(VERSION)"' \
            -Isim/include -Ispec
CFLAGS   += -std=c11 $(WARN) $(OPT) $(SAN) $(COV) -MMD -MP
LDFLAGS  += $(SAN) $(COV)
LDLIBS   += -lpcap -ljansson -lm

SIM_SRC  := $(wildcard sim/*.c)
SPEC_SRC := $(wildcard spec/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard conformance/test_*.c)
HARN_SRC := conformance/harness.c conformance/tracefeed.c
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRC:fuzz/fuzz_%.c=%)

LIB      := $(BUILD)/libfosim.a
FOSIM    := $(BUILD)/fosim
LIB_OBJ  := $(SIM_SRC:%.c=$(BUILD)/%.o) $(SPEC_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:conformance/%.c=$(BUILD)/conformance/%)
HARN_OBJ := $(HARN_SRC:%.c=$(BUILD)/%.o)
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(BUILD)/%.o) $(BUILD)/fuzz/input.o $(BUILD)/fuzz/replay.o
# fuzz targets with a plain main() that replays inputs (make check), and the
# same targets linked with libFuzzer (make fuzz, in $(FUZZ_BUILD))
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: all check demo asan valgrind coverage install deps lint format clean tests \
        deps-check deps-check-test fuzz fuzz-build fuzz-seeds fuzz-ci recorder guest real
.DEFAULT_GOAL := all
# Keep object files of test executables (they are intermediates of a chain).
.SECONDARY:

all: deps-check $(FOSIM)

# ---- dependencies ------------------------------------------------------------

# A missing header is fixed by `make deps` when we are root, else we print the
# exact apt-get line and stop.
define need_header
	@if ! printf '#include <$(1)>\n' | $(CC) -E -x c - >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "fosim: <$(1)> is missing; running make deps"; \
	    $(MAKE) --no-print-directory deps || exit 1; \
	  else \
	    echo "fosim: <$(1)> is missing. Install the build dependencies with:"; \
	    echo "  sudo apt-get install -y $(DEB_PACKAGES)"; \
	    exit 1; \
	  fi; \
	fi
endef

deps-check:
	$(call need_header,pcap/pcap.h)
	$(call need_header,jansson.h)

deps-check-test: deps-check
	$(call need_header,setjmp.h)
	@printf '#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n#include <stdint.h>\n#include <cmocka.h>\n' \
	  | $(CC) -E -x c - >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "fosim: <cmocka.h> is missing; running make deps"; \
	    $(MAKE) --no-print-directory deps || exit 1; \
	  else \
	    echo "fosim: <cmocka.h> is missing. Install the build dependencies with:"; \
	    echo "  sudo apt-get install -y $(DEB_PACKAGES)"; exit 1; fi; }

deps:
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make deps installs Debian packages and must run as root:"; \
	  echo "  sudo apt-get install -y $(DEB_PACKAGES)"; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEB_PACKAGES)

# ---- build ---------------------------------------------------------------------

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(FOSIM): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

# Tests that run the command line find the fosim built with them.
$(BUILD)/conformance/%.o: CPPFLAGS += -DFOSIM_BIN='"$(BUILD)/fosim"'

$(BUILD)/conformance/%: $(BUILD)/conformance/%.o $(HARN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(HARN_OBJ) $(LIB) $(LDLIBS) -lcmocka

# The fault-injection test wraps the C library's allocation and stdio calls
# (and libpcap's) so that each can be made to fail in turn.
FAULT_WRAP := malloc calloc realloc free strdup fopen fdopen fclose fwrite fread getc fflush rename \
              fprintf fputs fputc fsync mkdir json_loadb json_loads json_load_file \
              pcap_fopen_offline_with_tstamp_precision pcap_open_dead_with_tstamp_precision \
              pcap_close pcap_next_ex pcap_dump_fopen pcap_dump pcap_dump_flush pcap_dump_close
$(BUILD)/conformance/test_faults: private LDFLAGS += $(FAULT_WRAP:%=-Wl,--wrap=%) -rdynamic

tests: deps-check-test $(FOSIM) $(TESTS) $(FUZZ_REPLAY)

$(FUZZ_REPLAY): $(BUILD)/fuzz/replay_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/input.o \
                $(BUILD)/fuzz/replay.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)

# Only built by `make fuzz` (CC=clang with -fsanitize=fuzzer-no-link).
$(FUZZ_BIN): $(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/input.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(LIB) $(LDLIBS)

# ---- running the suite -----------------------------------------------------------

# Every step prints "RESULT <name> <passed> <failed>"; run-suite.sh runs the
# steps, keeps their logs under $(BUILD)/logs and prints the total.
SUITE = conformance/run-suite.sh $(BUILD) "$(RUNNER)" $(TESTS)

check: tests
	@$(SUITE)

demo: all
	@echo "+ $(FOSIM) run examples/native-migration.fos"
	@$(FOSIM) run examples/native-migration.fos

asan:
	$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  RUNNER="env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1" check

valgrind:
	$(MAKE) --no-print-directory BUILD=build/valgrind OPT="-O1 -g" \
	  RUNNER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible" check

coverage:
	rm -rf build/cov
	$(MAKE) --no-print-directory BUILD=build/cov OPT="-O0 -g" COV="--coverage" check
	lcov -q --capture --directory build/cov --output-file build/cov/all.info --rc lcov_branch_coverage=0
	lcov -q --extract build/cov/all.info '*/sim/*' '*/spec/*' -o build/cov/fosim.info
	genhtml -q build/cov/fosim.info --output-directory build/cov/html --title "fosim $(VERSION)"
	@echo "coverage report: build/cov/html/index.html"
	@for d in sim spec; do \
	  lcov -q --extract build/cov/fosim.info "*/$$d/*" -o build/cov/$$d.info >/dev/null; \
	  printf '%-5s ' "$$d/"; lcov --summary build/cov/$$d.info 2>&1 | grep 'lines'; done

# ---- fuzzing ----------------------------------------------------------------------

# `make fuzz` builds every fuzz/fuzz_NAME.c with clang, libFuzzer, ASan and
# UBSan under $(FUZZ_BUILD), generates the seed corpora from the repository
# (fuzz/seeds.sh) and runs each target for FUZZ_SECONDS (fuzz/run.sh);
# FUZZ_TARGETS="scenario qmp" selects some.  A finding stops the target and
# fails the make; see fuzz/README.md for turning it into a regression test.
FUZZ_BUILD   ?= build/libfuzzer
FUZZ_SECONDS ?= 180
FUZZ_TARGETS ?=
FUZZ_CC      ?= clang
FUZZ_EXTRA_SEEDS ?=
FUZZ_RECORD_SEEDS ?= 1

fuzz: fuzz-seeds
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The short pass CI runs: eight seconds per target, seeds without recording
# the scenarios (the stored bundles seed the bundle targets).
fuzz-ci:
	$(MAKE) --no-print-directory fuzz-seeds FUZZ_RECORD_SEEDS=0
	fuzz/run.sh $(FUZZ_BUILD) 8 $(FUZZ_TARGETS)

fuzz-seeds: fuzz-build all
	FUZZ_EXTRA_SEEDS="$(FUZZ_EXTRA_SEEDS)" FUZZ_RECORD_SEEDS="$(FUZZ_RECORD_SEEDS)" fuzz/seeds.sh $(FUZZ_BUILD) $(FOSIM)

fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang and libclang-rt-14-dev:"; \
	  echo "  sudo apt-get install -y clang libclang-rt-14-dev"; exit 1; }
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz/fuzz_%)

# ---- real QEMU recordings (conformance/real, doc/real.md) -------------------------
#
#   make recorder   build/fosim-record: runs a scenario against real QEMU + Linux
#   make guest      the guest kernel + initramfs from Debian packages, in $(GUEST)
#   make real       record every conformance/real/scenarios/*.fos into traces/real/

REC_SRC  := $(wildcard conformance/real/*.c)
REC_OBJ  := $(REC_SRC:%.c=$(BUILD)/%.o)
RECORDER := $(BUILD)/fosim-record
GUEST    ?= build/guest

recorder: deps-check $(RECORDER)

$(RECORDER): $(REC_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(REC_OBJ) $(LIB) $(LDLIBS)

guest: $(GUEST)/initrd.gz

$(GUEST)/initrd.gz: conformance/real/mkguest.sh
	sh conformance/real/mkguest.sh $(GUEST)

# test_recorder links the recorder's parts (all but its main).
REC_PARTS := $(filter-out $(BUILD)/conformance/real/recorder.o,$(REC_OBJ))
$(BUILD)/conformance/test_recorder: $(BUILD)/conformance/test_recorder.o $(HARN_OBJ) $(REC_PARTS) $(LIB) \
                                    | $(RECORDER)
	$(CC) $(LDFLAGS) -o $@ $< $(HARN_OBJ) $(REC_PARTS) $(LIB) $(LDLIBS) -lcmocka

real: recorder guest $(FOSIM)
	sh conformance/real/record-all.sh $(RECORDER) $(GUEST) traces/real

# ---- install --------------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(FOSIM) $(DESTDIR)$(PREFIX)/bin/fosim
	install -m 644 doc/fosim.1 $(DESTDIR)$(PREFIX)/share/man/man1/fosim.1

# ---- hygiene ----------------------------------------------------------------------

ALL_C := $(SIM_SRC) $(SPEC_SRC) $(CLI_SRC) $(TEST_SRC) $(HARN_SRC)

format:
	clang-format -i $(ALL_C) $(wildcard sim/include/sim/*.h spec/*.h cli/*.h conformance/*.h)

# cppcheck (warning, portability, performance) over every C file (tests may
# realloc without keeping the old pointer: they stop at the failed assert); clang-tidy
# with the checks of .clang-tidy over the product and the fuzz targets (one
# process per file, in parallel); and fosim's own rules on sim/ and spec/:
# no call that reads the wall clock, sleeps, or keeps hidden global state
# (DESIGN.md: same seed, same bytes), and no sscanf integer conversion
# without a field width (an overflowing %d is undefined behaviour).
LINT_FORBIDDEN := strtok asctime ctime localtime gmtime rand srand random drand48 lrand48 time \
                  clock clock_gettime gettimeofday timespec_get sleep usleep nanosleep getenv
LINT_TIDY_SRC := $(SIM_SRC) $(SPEC_SRC) $(CLI_SRC) $(wildcard fuzz/*.c)
LINT_TIDY_FLAGS := -D_POSIX_C_SOURCE=200809L -DFOSIM_VERSION=\"$(VERSION)\" -DFOSIM_BIN=\"fosim\" \
                   -Isim/include -Ispec -std=c11
null :=
space := $(null) $(null)

lint:
	@echo "cppcheck: $(words $(ALL_C) $(wildcard fuzz/*.c)) files and the conformance helpers"
	@cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	  --inline-suppr --suppress=memleakOnRealloc:conformance/*.c \
	  -D_POSIX_C_SOURCE=200809L -Isim/include -Ispec -Iconformance -Ifuzz \
	  $(ALL_C) $(wildcard fuzz/*.c) $(filter-out $(TEST_SRC) $(HARN_SRC),$(wildcard conformance/*.c))
	@echo "clang-tidy: $(words $(LINT_TIDY_SRC)) files"
	@printf '%s\n' $(LINT_TIDY_SRC) | xargs -P "$$(nproc)" -n 1 sh -c \
	  'clang-tidy --quiet "$$0" -- $(LINT_TIDY_FLAGS) 2>/dev/null || \
	   { echo "clang-tidy: findings in $$0 (above)"; exit 1; }'
	@bad=0; for f in $(SIM_SRC) $(SPEC_SRC); do \
	  out=$$(gcc -fpreprocessed -dD -E $$f 2>/dev/null | sed -E 's/"([^"\\]|\\.)*"/""/g' | \
	    grep -E '(^|[^A-Za-z0-9_.>])($(subst $(space),|,$(LINT_FORBIDDEN)))[[:space:]]*\('); \
	  if [ -n "$$out" ]; then echo "$$f: forbidden call (wall clock, sleep or hidden state):"; \
	    echo "$$out" | sed 's/^/    /'; bad=1; fi; \
	done; \
	for f in $(SIM_SRC) $(SPEC_SRC) $(CLI_SRC); do \
	  out=$$(grep -nE 'sscanf\(.*"[^"]*%(hh|h|l|ll|j|z)?[diuxXo]' $$f); \
	  if [ -n "$$out" ]; then echo "$$f: sscanf integer conversion without a field width:"; \
	    echo "$$out" | sed 's/^/    /'; bad=1; fi; \
	done; [ $$bad = 0 ] && echo "lint: clean"

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TESTS:%=%.d) $(HARN_OBJ:.o=.d) \
         $(FUZZ_OBJ:.o=.d) $(REC_OBJ:.o=.d)

# ---- benchmark -----------------------------------------------------------------------

# make bench: the benchmark table (bench/bench.c): the event queue, fleets of
# VMs, the checker, the catalog, each against its baseline measured in the
# same run.  The checker's input is generated under $(BUILD)/bench at run time
# (about 400 MB) and never committed.  BENCH_REPEATS=N sets the repeats
# (the median is printed); BENCH_ONLY=check,queue runs some groups (queue,
# fleet, check, catalog).
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
BENCH     := $(BUILD)/bench/fosim-bench
BENCH_DIR := $(BUILD)/bench/data
BENCH_REPEATS ?= 5
BENCH_ONLY ?=

$(BENCH): $(BENCH_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(BENCH_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/bench/%.o: CPPFLAGS += -Ibench

bench: deps-check $(BENCH) $(FOSIM)
	@test -f $(BENCH_DIR)/5m/manifest.json || $(BENCH) gen $(BENCH_DIR)
	@$(BENCH) run $(BENCH_DIR) $(FOSIM) $(BENCH_REPEATS) $(BENCH_ONLY)

.PHONY: bench
-include $(BENCH_OBJ:.o=.d)

# ---- conformance suite (doc/conformance.md) -------------------------------------------
#
#   make trace   every mutant against the catalog, the corrupted recordings of
#                conformance/corrupt and the traceability matrix; fails on a gap

trace: all
	$(FOSIM) conformance --trace --work $(BUILD)/corrupt

.PHONY: trace
