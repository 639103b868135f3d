# rollcall: build, test, benchmark.
#
#   make              the daemon, build/rollcall
#   make STATIC=1     the daemon statically linked, build-static/rollcall
#   make run TESTCASE=N   testcase N (1..4) under docker compose, judged
#   make test         everything CI runs (installs what it needs first)
#   make check        the unit tests only, plain build
#   make paxos-sim    the Paxos core's simulator (SEEDS=N or SEED=S)
#   make test-net     the network scenarios: real cuts and loss (root)
#   make test-timeline   tools/timeline's own tests (python3-matplotlib)
#   make bench        latency, memory and CPU figures, loss (iptables,
#                     root) and scale (64 to 1024 peers, and Serf)
#   make clean
#
# SAN=1 builds with ASan and UBSan into build-san/; the test targets use it.
# STATIC=1 links the daemon statically into build-static/ (the image's):
# Debian's libuv_a.a, libmsgpackc.a and libsodium.a, glibc's libc.a. The linker warns
# that getaddrinfo in a static binary still wants the NSS modules of the
# glibc it was built with at run time; without them it reads /etc/hosts
# and asks the DNS servers of /etc/resolv.conf, which is all the image
# needs (docs/operations.md: "The image").

CC ?= cc
SAN ?= 0
STATIC ?= 0

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
else ifeq ($(STATIC),1)
BUILD ?= build-static
SANFLAGS =
else
BUILD ?= build
SANFLAGS =
endif

ifeq ($(STATIC),1)
PKGS = libuv-static msgpack libsodium
LINK_STATIC = -static
else
PKGS = libuv msgpack libsodium
LINK_STATIC =
endif
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wvla
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(CFLAGS) \
	$(SANFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# The protocol core and the shared pieces, in reading order.
LIB_SRC = $(wildcard common/*.c heartbeat/*.c membership/*.c reconcile/*.c \
	paxos/*.c) \
	$(filter-out rollcall/main.c,$(wildcard rollcall/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
UNIT_HELP = $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

.PHONY: all check test test-unit test-proc test-net test-valgrind test-compose \
	test-sim run bench deps clean test-timeline
all: $(BUILD)/rollcall $(BUILD)/paxos-peer

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/librollcall.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/rollcall: $(BUILD)/obj/rollcall/main.o $(BUILD)/librollcall.a
	$(CC) $(ALL_CFLAGS) $(LINK_STATIC) $^ $(LDLIBS_ALL) -o $@

# The replicated bank (bank/, docs/bank.md): the replica and its client,
# on the library.
BANK_SRC = bank/bank.c bank/proto.c bank/mp.c bank/link.c
BANK_OBJ = $(BANK_SRC:%.c=$(BUILD)/obj/%.o)
.PHONY: bank
bank: $(BUILD)/bank $(BUILD)/bank-client

$(BUILD)/bank: $(BUILD)/obj/bank/replica.o $(BANK_OBJ) $(BUILD)/librollcall.a
	$(CC) $(ALL_CFLAGS) $(LINK_STATIC) $^ $(LDLIBS_ALL) -o $@

$(BUILD)/bank-client: $(BUILD)/obj/bank/client.o $(BANK_OBJ) \
		$(BUILD)/librollcall.a
	$(CC) $(ALL_CFLAGS) $(LINK_STATIC) $^ $(LDLIBS_ALL) -o $@

# The Paxos lab (paxos-lab/, docs/paxos-lab.md): its own folder on the
# same library.
LAB_SRC = $(wildcard paxos-lab/*.c)
LAB_OBJ = $(LAB_SRC:%.c=$(BUILD)/obj/%.o)
$(BUILD)/paxos-peer: $(LAB_OBJ) $(BUILD)/librollcall.a
	$(CC) $(ALL_CFLAGS) $(LINK_STATIC) $^ $(LDLIBS_ALL) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_HELP) $(BUILD)/librollcall.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_HELP) $(BUILD)/librollcall.a \
		$(LDLIBS_ALL) -lcmocka -o $@

# What sealing costs one datagram (make bench).
$(BUILD)/tests/seal_cost: tests/bench/seal_cost.c $(BUILD)/librollcall.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/librollcall.a $(LDLIBS_ALL) -o $@

# The hostile-input tool of the multi-process `hostile` scenario.
$(BUILD)/tests/hostile: tests/proc/hostile.c $(BUILD)/librollcall.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/librollcall.a $(LDLIBS_ALL) -o $@

# Every unit test binary, one after another; cmocka prints its summary on
# stderr and exits non-zero on any failure.
check: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

deps:
	@bash tests/deps.sh

# The whole suite, as CI runs it: unit tests plain, under ASan/UBSan and
# under valgrind; the fuzz corpus replayed; the simulator's regression list
# and seeds; the multi-process scenarios plain, under ASan/UBSan, and a few
# under valgrind; then the Docker testcases.
test: deps
	$(MAKE) test-unit
	$(MAKE) fuzz-replay
	$(MAKE) test-sim
	$(MAKE) test-paxos-sim
	$(MAKE) test-proc
	$(MAKE) test-paxos
	$(MAKE) test-bank
	$(MAKE) test-net
	$(MAKE) test-valgrind
	$(MAKE) test-compose

# The bank on loopback (tests/bank/local.sh): a failover, a restart that
# replays its log and catches up, hostile bytes; a replica too far behind
# for the log, which installs a snapshot (tests/bank/snapshot.sh); plain
# and under ASan/UBSan.
.PHONY: test-bank
test-bank:
	$(MAKE) bank
	$(MAKE) SAN=1 bank
	bash tests/bank/local.sh
	BANK=build-san/bank CLIENT=build-san/bank-client bash tests/bank/local.sh
	bash tests/bank/snapshot.sh
	BANK=build-san/bank CLIENT=build-san/bank-client bash tests/bank/snapshot.sh

# The unit binaries run under valgrind (the plain build, every assertion
# of `make check`) and under ASan/UBSan; `make check` alone runs them bare.
test-unit:
	$(MAKE) $(UNIT_BIN)
	$(MAKE) test-timeline
	$(MAKE) SAN=1 check
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; \
		valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect $$t; done

# tools/timeline: its parsing (the spans of one canned log) and a picture
# of every canned log, with Debian's python3 (PYTHON, below), where
# python3-matplotlib is.
test-timeline:
	$(PYTHON) -m unittest discover -s tests/timeline

# The scenarios test-valgrind runs under memcheck run the plain build
# there, with every assertion of the plain run: the plain pass here leaves
# them out (PROC_SKIP), the ASan/UBSan pass runs all.
VALGRIND_PROC = clean_exit crash_one takeover restart frozen_rejoin hooks \
	amnesia
VALGRIND_PAXOS = duel restart_acceptor
test-proc:
	$(MAKE) all build/tests/hostile
	$(MAKE) SAN=1 all build-san/tests/hostile
	PROC_SKIP="$(VALGRIND_PROC)" bash tests/proc/run.sh
	ROLLCALL=build-san/rollcall HB_MS=200 TIMEOUT_SCALE=2 \
		bash tests/proc/run.sh

# Partitions and real loss on loopback (tests/proc/partitions.sh), plain
# build: iptables rules of this run only, removed however it ends. Where
# iptables cannot be used (not root, no netfilter) each scenario says so
# and is skipped.
# The Paxos lab as processes (tests/paxos/): its bad input, then its
# crash cases, plain and under ASan/UBSan. Its Docker testcases are in
# test-compose.
.PHONY: test-paxos
test-paxos:
	$(MAKE) all
	$(MAKE) SAN=1 all
	bash tests/paxos/errors.sh build/paxos-peer
	bash tests/paxos/errors.sh build-san/paxos-peer
	PAXOS_SKIP="$(VALGRIND_PAXOS)" bash tests/paxos/proc.sh
	PAXOS_PEER=build-san/paxos-peer TIMEOUT_SCALE=2 bash tests/paxos/proc.sh

test-net: all
	@bash tests/deps.sh || echo "test-net: packages missing; the scenarios say what they lack"
	bash tests/proc/run.sh --net

test-valgrind: all
	VALGRIND=1 HB_MS=400 TIMEOUT_SCALE=4 bash tests/proc/run.sh \
		$(VALGRIND_PROC)
	VALGRIND=1 TIMEOUT_SCALE=4 bash tests/paxos/proc.sh $(VALGRIND_PAXOS)

# What needs no engine first: the judge on canned logs, the Kubernetes
# manifests (and the check's own cases). Then the image and the four
# testcases, every compose file validated, restarts that lose the state
# (tests/compose/amnesia.sh), the StatefulSet's pods played
# by containers, the stack on a one-node swarm. Exit 77 from a script: it
# could not run here (no engine, no compose, no swarm) and said so in one
# line; that is a skip, not a failure.
SKIP_OK = rc=$$?; [ $$rc = 0 ] || [ $$rc = 77 ]
# Debian's python3, which python3-matplotlib and python3-yaml
# (tests/deps.sh) are for, even when another python3 comes first on PATH.
PYTHON ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
export PYTHON
test-compose:
	bash tests/compose/test-judge.sh
	bash tests/paxos/test-judge.sh
	@bash tests/paxos/reference.sh; $(SKIP_OK)
	$(PYTHON) tests/k8s/manifests.py
	bash tests/k8s/test-manifests.sh
	@bash tests/compose/all.sh; $(SKIP_OK)
	@bash tests/compose/config.sh; $(SKIP_OK)
	@bash tests/paxos/compose.sh; $(SKIP_OK)
	@bash tests/compose/keyed.sh; $(SKIP_OK)
	@bash tests/compose/amnesia.sh; $(SKIP_OK)
	@bash tests/k8s/docker.sh; $(SKIP_OK)
	@bash tests/swarm/run.sh; $(SKIP_OK)
	@bash tests/bank/all.sh; $(SKIP_OK)

# The deterministic simulator (tests/sim/): the cores of N peers on a
# virtual clock and a seeded network, with crashes, restarts, UDP loss and
# partitions, invariants checked after every step.
#   make sim SEEDS=500 [SEED_BASE=1]   seeds SEED_BASE.., one line per failure
#   make sim SEED=17                   replay one seed, with its trace
#   make sim SEED=1 PEERS=256          one large group
#   make soak SEEDS=1000000            long runs, on every core
#   make test-sim                      the partition model's own cases, the
#                                      regression list, 3000 seeds of the
#                                      default model and of --amnesia
#                                      (restarts without the state file),
#                                      two 256-peer runs
# PEERS=N fixes the group size, LOSS=P the UDP loss; SIM_OPTS passes any
# other option (build/tests/rollcall-sim with no arguments lists them).
SIM_SRC = $(wildcard tests/sim/*.c)
SIM_OBJ = $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
SIM_BIN = $(BUILD)/tests/rollcall-sim
SIM_FLAGS = $(if $(PEERS),--peers $(PEERS)) $(if $(LOSS),--loss $(LOSS)) \
	$(SIM_OPTS)

.PHONY: sim soak test-sim
$(SIM_BIN): $(SIM_OBJ) $(BUILD)/librollcall.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS_ALL) -o $@

sim: $(SIM_BIN)
	$(SIM_BIN) $(if $(SEED),--seed $(SEED),--seeds $(or $(SEEDS),500) \
		--base $(or $(SEED_BASE),1)) $(SIM_FLAGS)

soak: $(SIM_BIN)
	$(SIM_BIN) --seeds $(or $(SEEDS),1000000) --base $(or $(SEED_BASE),1) \
		--failures-only \
		--jobs $(shell nproc 2>/dev/null || echo 1) $(SIM_FLAGS)

# The full default model (restarts of peer 1, UDP loss up to 5%,
# partitions), then the same with --amnesia (every restart loses the state
# file). Every invariant, liveness included, must hold on every seed: the
# quorum system's own limits (no quorum of the latest view alive, a
# pending change whose view has none) and, under --amnesia, a refounding
# by peer 1 while the group still spoke (docs/design.md, known limits)
# are judged by the simulator and counted, not failed. Each part runs even
# when one before it failed; any failure fails it.
test-sim: $(SIM_BIN)
	@rc=0; \
	$(SIM_BIN) --self-test || rc=1; \
	$(SIM_BIN) --regressions tests/sim/regressions.txt $(SIM_FLAGS) \
		|| rc=1; \
	$(SIM_BIN) --seeds $(or $(SEEDS),3000) --base $(or $(SEED_BASE),1) \
		--failures-only $(SIM_FLAGS) || rc=1; \
	$(SIM_BIN) --seeds $(or $(SEEDS),3000) --base $(or $(SEED_BASE),1) \
		--amnesia --failures-only $(SIM_FLAGS) || rc=1; \
	$(SIM_BIN) --seeds 2 --peers 256 $(SIM_OPTS) || rc=1; \
	exit $$rc

# The Paxos core's simulator (tests/paxos-sim/): acceptors, proposers and
# learners of paxos/ on a virtual clock and a seeded network that loses,
# duplicates and reorders, with crashes and restarts; its invariants
# (psim.h) checked as each event happens.
#   make paxos-sim SEEDS=2000 [SEED_BASE=1]   seeds, one line per failure
#   make paxos-sim SEED=17                    replay one seed, every event
#   make test-paxos-sim                       10000 seeds of the default model
#                                             and 3000 single-decree ones
# PAXOS_SIM_OPTS passes other options (--single, --acceptors 5, ...).
PSIM_SRC = $(wildcard tests/paxos-sim/*.c)
PSIM_OBJ = $(PSIM_SRC:%.c=$(BUILD)/obj/%.o)
PSIM_BIN = $(BUILD)/tests/rollcall-paxos-sim

.PHONY: paxos-sim test-paxos-sim
$(PSIM_BIN): $(PSIM_OBJ) $(BUILD)/librollcall.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $^ $(LDLIBS_ALL) -o $@

paxos-sim: $(PSIM_BIN)
	$(PSIM_BIN) $(if $(SEED),--seed $(SEED),--seeds $(or $(SEEDS),2000) \
		--base $(or $(SEED_BASE),1) --failures-only) $(PAXOS_SIM_OPTS)

test-paxos-sim: $(PSIM_BIN)
	@rc=0; \
	$(PSIM_BIN) --seeds $(or $(SEEDS),10000) --base $(or $(SEED_BASE),1) \
		--failures-only $(PAXOS_SIM_OPTS) || rc=1; \
	$(PSIM_BIN) --seeds 3000 --base 1000001 --single --failures-only \
		$(PAXOS_SIM_OPTS) || rc=1; \
	exit $$rc

# The root of an image, laid out by each Dockerfile's build stage:
#   make STATIC=1 IMAGE=prj3|prj4|bank image-root
# puts the stripped static programs in $(IMAGE_ROOT)/usr/local/bin, the
# image's files in $(IMAGE_ROOT)/app, a passwd and group line for the
# unprivileged user 10001 and an nsswitch.conf (the hosts file Docker and
# Kubernetes write, then their DNS server) in $(IMAGE_ROOT)/etc, and makes
# the state directory $(IMAGE_STATE)/NAME, the user's alone (0700). The
# final stage, FROM scratch, copies the first as / and the second as
# /var/lib with the user as owner: a scratch image has no mkdir or chown.
IMAGE_ROOT ?= /out
IMAGE_STATE ?= /state
IMAGE_BINS_prj3 = rollcall
IMAGE_FILES_prj3 = hostsfiles/hostsfile.txt
IMAGE_USER_prj3 = rollcall
IMAGE_BINS_prj4 = paxos-peer
IMAGE_FILES_prj4 = paxos-lab/compose/hostsfile-testcase1.txt \
	paxos-lab/compose/hostsfile-testcase2.txt
IMAGE_USER_prj4 = paxos
IMAGE_BINS_bank = bank bank-client
IMAGE_FILES_bank = bank/hostsfile.txt
IMAGE_USER_bank = bank
IMAGE_USER = $(IMAGE_USER_$(IMAGE))

.PHONY: image-root
image-root: $(addprefix $(BUILD)/,$(IMAGE_BINS_$(IMAGE)))
	@test -n "$(IMAGE_USER)" || \
		{ echo "image-root: IMAGE=$(IMAGE): expected prj3, prj4 or bank" >&2; \
		  exit 2; }
	mkdir -p $(IMAGE_ROOT)/usr/local/bin $(IMAGE_ROOT)/app \
		$(IMAGE_ROOT)/etc $(IMAGE_ROOT)/var/lib $(IMAGE_STATE)/$(IMAGE_USER)
	for b in $(IMAGE_BINS_$(IMAGE)); do \
		strip -o $(IMAGE_ROOT)/usr/local/bin/$$b $(BUILD)/$$b || exit 1; \
	done
	cp $(IMAGE_FILES_$(IMAGE)) $(IMAGE_ROOT)/app/
	echo '$(IMAGE_USER):x:10001:10001:$(IMAGE_USER):/app:/nonexistent' \
		>$(IMAGE_ROOT)/etc/passwd
	echo '$(IMAGE_USER):x:10001:' >$(IMAGE_ROOT)/etc/group
	echo 'hosts: files dns' >$(IMAGE_ROOT)/etc/nsswitch.conf
	chmod 0700 $(IMAGE_STATE)/$(IMAGE_USER)

# APP selects the program: unset (or rollcall) is rollcall's image prj3,
# its four testcases and its benchmarks; APP=paxos is the Paxos lab's image
# prj4 and its two testcases (docs/paxos-lab.md); APP=bank is the replicated
# bank's image, its three benchmarks (compose/bank/, tests/bank/compose.sh)
# and its bench beside etcd (docs/bank.md). The plain commands are printed
# as they run.
TESTCASE ?= 1
APP ?= rollcall
ifeq ($(filter $(APP),rollcall paxos bank),)
$(error APP=$(APP): expected rollcall, paxos or bank)
endif
.PHONY: image run bench
ifeq ($(APP),paxos)
image:
	@bash tests/compose/docker-setup.sh
	docker build -f paxos-lab/Dockerfile -t prj4 .

run:
	@bash tests/compose/docker-setup.sh
	bash tests/paxos/run.sh --build $(TESTCASE)

bench:
	@echo "make bench: APP=paxos has no benchmarks (APP=rollcall or APP=bank)" >&2
	@exit 2
else ifeq ($(APP),bank)
image:
	@bash tests/compose/docker-setup.sh
	docker build -f bank/Dockerfile -t bank .

run:
	@bash tests/compose/docker-setup.sh
	bash tests/bank/compose.sh --build $(TESTCASE)

bench: all bank
	bash tests/bank/bench.sh
else
image:
	@bash tests/compose/docker-setup.sh
	docker build . -t prj3

run:
	@bash tests/compose/docker-setup.sh
	bash tests/compose/run.sh --build $(TESTCASE)

# detect.sh: 10 peers, detection and view-change latency, memory, CPU.
# keyed.sh: the same on 5 and 64 peers, with and without --keyring, and
# what sealing costs one datagram (seal_cost).
# loss.sh, three ways (issue 10's table): 20% and 5% loss at T = 100 ms
# for 60 s, and 20% at T = 1 s for 5 minutes.
bench: all $(BUILD)/tests/seal_cost $(SIM_BIN)
	bash tests/bench/detect.sh
	bash tests/bench/keyed.sh
	LOSS=20 HB_MS=100 SECONDS_RUN=60 bash tests/bench/loss.sh
	LOSS=5 HB_MS=100 SECONDS_RUN=60 bash tests/bench/loss.sh
	LOSS=20 HB_MS=1000 SECONDS_RUN=300 bash tests/bench/loss.sh
	SEEDS=100 bash tests/bench/loss-sim.sh
	bash tests/bench/loss-net.sh || [ $$? = 77 ]
	bash tests/bench/scale.sh
endif

# Fuzzing: libFuzzer targets for the parsers of untrusted bytes, built
# with clang into build-fuzz/ (see tests/fuzz/fuzz.h). `make fuzz` runs each
# for FUZZ_SECONDS on a scratch copy of its corpus (the grown corpus and any
# crash stay under build-fuzz/); `make fuzz-replay` reruns the committed
# seeds and regressions with the normal compiler and the sanitizers.
FUZZ_BUILD = build-fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ALL = fuzz_frame fuzz_datagram fuzz_sealed fuzz_hosts fuzz_cli fuzz_paxos \
	fuzz_bank
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_ARGS ?=
# Allocation bombs must show: msgpack-c allocates on declared sizes.
FUZZ_OPTS = -rss_limit_mb=2048 -malloc_limit_mb=64 -print_final_stats=1
FUZZ_BASE = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) \
	$(shell pkg-config --cflags msgpack libsodium 2>/dev/null)
FUZZ_LIBS = $(shell pkg-config --libs msgpack libsodium 2>/dev/null)
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_HDR = $(wildcard common/*.h tests/fuzz/*.h bank/*.h paxos/*.h)

# Each target links only the pieces it exercises: no libuv.
fuzz_frame_SRC = common/wire.c common/wire_walk.c tests/fuzz/wire_check.c
fuzz_datagram_SRC = common/wire.c common/wire_walk.c tests/fuzz/wire_check.c
# The keyed paths: an envelope opened, a body sealed and opened again.
fuzz_sealed_SRC = common/wire.c common/wire_walk.c tests/fuzz/wire_check.c \
	common/seal.c common/keyring.c common/fdio.c
fuzz_hosts_SRC = common/hosts.c
fuzz_cli_SRC = common/cli.c
fuzz_paxos_SRC = common/wire.c common/wire_walk.c common/wire_paxos.c
# The Paxos acceptor's state file (paxos/state.c).
FUZZ_ALL += fuzz_paxos_state
fuzz_paxos_state_SRC = paxos/state.c paxos/value.c
fuzz_bank_SRC = common/wire.c common/wire_walk.c bank/bank.c bank/proto.c bank/mp.c

.PHONY: fuzz fuzz-replay

$(FUZZ_BUILD)/obj/%.o: %.c $(FUZZ_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASE) -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) -c $< -o $@

$(FUZZ_BUILD)/replay/obj/%.o: %.c $(FUZZ_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_BASE) $(CFLAGS) $(FUZZ_SAN) -c $< -o $@

define FUZZ_TARGET_RULES
$(FUZZ_BUILD)/$(1): $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,tests/fuzz/$(1).c $($(1)_SRC))
	$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) $$^ $$(FUZZ_LIBS) -o $$@

$(FUZZ_BUILD)/replay/$(1): $(patsubst %.c,$(FUZZ_BUILD)/replay/obj/%.o,tests/fuzz/replay.c tests/fuzz/$(1).c $($(1)_SRC))
	$$(CC) $$(CFLAGS) $$(FUZZ_SAN) $$^ $$(FUZZ_LIBS) -o $$@
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_TARGET_RULES,$(t))))

# Writes the seed corpora: build-fuzz/make_seeds tests/fuzz/corpus
$(FUZZ_BUILD)/make_seeds: $(patsubst %.c,$(FUZZ_BUILD)/replay/obj/%.o,\
		tests/fuzz/make_seeds.c common/wire.c common/wire_walk.c \
		common/wire_paxos.c)
	$(CC) $(CFLAGS) $(FUZZ_SAN) $^ $(FUZZ_LIBS) -o $@

# One target at a time, each for FUZZ_SECONDS, e.g.
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=fuzz_hosts
fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		c=$(FUZZ_BUILD)/corpus/$$t; a=$(FUZZ_BUILD)/artifacts/$$t; \
		mkdir -p $$c $$a; cp -R tests/fuzz/corpus/$$t/. $$c/; \
		[ ! -d tests/fuzz/regressions/$$t ] || \
			cp -R tests/fuzz/regressions/$$t/. $$c/; \
		echo "== $$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_BUILD)/$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$$a/ $(FUZZ_ARGS) $$c; \
	done

fuzz-replay: $(FUZZ_ALL:%=$(FUZZ_BUILD)/replay/%)
	@set -e; for t in $(FUZZ_ALL); do \
		r=tests/fuzz/regressions/$$t; [ -d $$r ] || r=; \
		$(FUZZ_BUILD)/replay/$$t tests/fuzz/corpus/$$t $$r; \
	done

clean:
	rm -rf build build-san build-static build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
