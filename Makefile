# rollcall: build, test, benchmark.
#
#   make              the daemon, build/rollcall
#   make run TESTCASE=N   testcase N (1..4) under docker compose, judged
#   make test         everything CI runs (installs what it needs first)
#   make check        the unit tests only, plain build
#   make bench        latency, memory and CPU figures
#   make clean
#
# SAN=1 builds with ASan and UBSan into build-san/; the test targets use it.

CC ?= cc
SAN ?= 0

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
else
BUILD ?= build
SANFLAGS =
endif

PKGS = libuv msgpack
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) \
	$(SANFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# The protocol core and the shared pieces, in reading order.
LIB_SRC = $(wildcard common/*.c heartbeat/*.c membership/*.c reconcile/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELP = $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

.PHONY: all check test test-unit test-proc test-valgrind test-compose \
	run bench deps clean
all: $(BUILD)/rollcall

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/librollcall.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/rollcall: $(BUILD)/rollcall.o $(BUILD)/librollcall.a
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS_ALL) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELP) $(BUILD)/librollcall.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_HELP) $(BUILD)/librollcall.a \
		$(LDLIBS_ALL) -lcmocka -o $@

# Every unit test binary, one after another; cmocka prints its summary on
# stderr and exits non-zero on any failure.
check: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

deps:
	@bash tests/deps.sh

# The whole suite, as CI runs it: unit tests plain, under ASan/UBSan and
# under valgrind; the multi-process scenarios plain, under ASan/UBSan, and a
# few under valgrind; then the Docker testcases.
test: deps
	$(MAKE) test-unit
	$(MAKE) test-proc
	$(MAKE) test-valgrind
	$(MAKE) test-compose

test-unit:
	$(MAKE) check
	$(MAKE) SAN=1 check
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
		valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect $$t; done

test-proc:
	$(MAKE) all
	$(MAKE) SAN=1 all
	bash tests/proc/run.sh
	ROLLCALL=build-san/rollcall HB_MS=200 TIMEOUT_SCALE=2 \
		bash tests/proc/run.sh

test-valgrind: all
	VALGRIND=1 HB_MS=400 TIMEOUT_SCALE=4 bash tests/proc/run.sh \
		clean_exit crash_one takeover

# The judge on canned logs, then the four testcases. 77 from all.sh: no
# Docker engine can be had here; it said so, visibly.
test-compose:
	bash tests/compose/test-judge.sh
	@bash tests/compose/all.sh; rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ]

TESTCASE ?= 1
run:
	@bash tests/compose/docker-setup.sh
	bash tests/compose/run.sh --build $(TESTCASE)

bench: all
	bash tests/bench/detect.sh

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
