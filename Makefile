# stemtel - one non-recursive Makefile. `make help` lists the targets.

.DEFAULT_GOAL := all
SHELL := /bin/bash

# pkg-config modules, from the one package list (scripts/packages).
PKGS := $(shell awk '!/^\#/ && NF && $$2 != "-" && $$2 !~ /@test$$/ {print $$2}' scripts/packages)
TEST_PKGS := $(shell awk '!/^\#/ && NF && $$2 ~ /@test$$/ {sub(/@test$$/, "", $$2); print $$2}' scripts/packages)

comma := ,
# Flavour: objects of a sanitizer build never mix with the plain ones.
ifneq ($(SANITIZE),)
FLAVOUR := san-$(subst $(comma),-,$(SANITIZE))
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
FLAVOUR := default
SAN_FLAGS :=
endif
B := build/$(FLAVOUR)

CC ?= cc
CXX ?= c++
# Debian splits OpenCV; its core/imgproc -dev packages ship no .pc file.
CV_CFLAGS := $(shell pkg-config --cflags opencv4 2>/dev/null || echo -I/usr/include/opencv4)
CV_LIBS := -lopencv_core
# -O3: the per-pixel loops (ink conversion, shrink) need the vectoriser.
CFLAGS ?= -O3 -g
WARN := -Wall -Wextra -Wshadow -Wno-unused-parameter
WARN_C := $(WARN) -Wstrict-prototypes -Wno-format-truncation
# Evaluated when used: `make test` installs the packages before it builds.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS = $(shell pkg-config --libs $(PKGS))
# Public headers are "stemtel/x.h" (include/), a layer's internal ones
# "layer/x.h" (src/), the generator's "synth/x.h" (tools/).
INCLUDES := -Iinclude -Isrc -Itools
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(INCLUDES) $(WARN_C) $(PKG_CFLAGS) -fopenmp \
             $(SAN_FLAGS) -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(SAN_FLAGS) -fopenmp $(LDFLAGS)
LIBS = $(PKG_LIBS) $(CV_LIBS) -lstdc++ -lm
ALL_CXXFLAGS = -std=c++17 $(INCLUDES) $(WARN) $(CV_CFLAGS) $(SAN_FLAGS) -MMD -MP $(CXXFLAGS) $(CFLAGS)

# The library, one folder per layer, lowest first (scripts/check-layers
# says which may include which); the test-ballot generator on its own;
# the command.
LAYERS := util model engine sources record report app
LIB_SRC := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c))
LIB_CXX_SRC := $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.cpp))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(LIB_CXX_SRC:%.cpp=$(B)/%.o)
LIB := $(B)/libstemtel.a
SYNTH_SRC := $(wildcard tools/synth/*.c)
SYNTH_LIB := $(B)/libstemtel-synth.a
CLI_SRC := $(wildcard cli/*.c)
BIN := $(B)/stemtel
LINK_LIBS = $(SYNTH_LIB) $(LIB) $(LIBS)

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TEST_HELPER_OBJ := $(B)/tests/helpers.o $(B)/tests/design.o
# The slowest first, so that two jobs finish together.
TEST_SLOW := test_accuracy test_frompdf test_reconcile test_count test_golden test_writing test_folds test_synth test_scan test_stop test_register test_rescan test_sheet test_review
TEST_RUN := $(addprefix $(B)/tests/,$(addsuffix .log,$(TEST_SLOW) \
              $(filter-out $(TEST_SLOW),$(TEST_SRC:tests/%.c=%))))
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

SHARED_DATA ?= $(abspath $(CURDIR)/../shared/data)
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all setup test test-run demo models clean help bench check-layers install

all: $(BIN) ## build the stemtel command (build/<flavour>/stemtel)

setup: ## install the Debian packages stemtel needs (uses apt-get)
	@scripts/setup

# Every library must be there before anything is compiled; pkg-config
# says which one is missing and why.
$(B)/pkgconfig.ok: scripts/packages
	@mkdir -p $(@D)
	@pkg-config --print-errors --exists $(PKGS) $(TEST_PKGS) || \
	    { echo "stemtel: missing libraries (make setup installs them)" >&2; exit 1; }
	@touch $@

$(B)/%.o: %.c | $(B)/pkgconfig.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/%.o: %.cpp | $(B)/pkgconfig.ok
	@mkdir -p $(@D)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SYNTH_LIB): $(SYNTH_SRC:%.c=$(B)/%.o)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_SRC:%.c=$(B)/%.o) $(SYNTH_LIB) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_SRC:%.c=$(B)/%.o) $(LINK_LIBS)

$(B)/tests/%.o: tests/%.c | $(B)/pkgconfig.ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS)) -c $< -o $@

$(B)/tests/test_%: $(B)/tests/test_%.o $(TEST_HELPER_OBJ) $(SYNTH_LIB) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TEST_HELPER_OBJ) $(TEST_EXTRA_OBJ) $(LINK_LIBS) \
	    $(shell pkg-config --libs $(TEST_PKGS))

# The browser driver (tests/cdp.c), shared by test_serve and bench/serve;
# each defines the cdp_failf it calls.
CDP_OBJ := $(B)/tests/cdp.o
$(B)/tests/test_serve: TEST_EXTRA_OBJ := $(CDP_OBJ)
$(B)/tests/test_serve: $(CDP_OBJ)

# One log per test binary, so that make runs them in parallel.
TEST_ENV = STEMTEL_BIN=$(abspath $(BIN)) STEMTEL_DATA=$(SHARED_DATA) STEMTEL_ROOT=$(CURDIR) \
    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
$(B)/tests/%.log: $(B)/tests/% $(BIN) FORCE
	@$(TEST_ENV) scripts/run-test $< $@

test-run: $(TEST_RUN)
	@scripts/test-summary $(TEST_RUN)

test: setup ## install dependencies, build, and run every test (JOBS=N in parallel)
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN) $(TEST_BIN) $(FUZZ_BIN)
	@scripts/check-layers
	@scripts/check-contracts
	@$(MAKE) --no-print-directory -j$(JOBS) test-run

check-layers: ## fail when a file includes a header of a higher layer
	@scripts/check-layers

demo: setup ## install dependencies, build, and run stemtel on the sample batch
	@$(MAKE) --no-print-directory -j$(JOBS) $(BIN)
	@STEMTEL_BIN=$(abspath $(BIN)) scripts/demo

install: $(BIN) ## install the command, its man page, example models and the 510 schemas under DESTDIR/PREFIX
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/stemtel/models $(DESTDIR)$(PREFIX)/share/stemtel/eml-xsd/external
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/stemtel
	install -m 644 doc/stemtel.1 $(DESTDIR)$(PREFIX)/share/man/man1/stemtel.1
	install -m 644 models/*.json models/README.md $(DESTDIR)$(PREFIX)/share/stemtel/models/
	install -m 644 data/eml-xsd/*.xsd data/eml-xsd/LICENSE-EML_NL data/eml-xsd/README.md \
	    $(DESTDIR)$(PREFIX)/share/stemtel/eml-xsd/
	install -m 644 data/eml-xsd/external/*.xsd $(DESTDIR)$(PREFIX)/share/stemtel/eml-xsd/external/

models: $(BIN) ## remake the example models from the Kiesraad files in SHARED_DATA
	$(BIN) model from-eml $(SHARED_DATA)/results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml \
	    -o models/gr2022-west-maas-en-waal.json
	$(BIN) model from-eml $(SHARED_DATA)/results/Kandidatenlijsten_TK2025_Haarlem.eml.xml --municipality 0392:Haarlem \
	    -o models/tk2025-haarlem.json

clean: ## remove build/
	rm -rf build

help: ## list the targets
	@grep -E "^[a-z-]+:.*## " $(firstword $(MAKEFILE_LIST)) | sed 's/:.*## /\t/' | expand -t 14
	@echo "variables: SANITIZE=address,undefined  CFLAGS=...  SHARED_DATA=path  JOBS=N"
	@echo "           PREFIX=/usr/local  DESTDIR=staging-dir"

FORCE:

# Test objects are kept, so that a test binary is relinked only when its
# own sources changed.
.SECONDARY: $(TEST_SRC:tests/%.c=$(B)/tests/%.o)

-include $(LIB_OBJ:.o=.d) $(SYNTH_SRC:%.c=$(B)/%.d) $(CLI_SRC:%.c=$(B)/%.d) \
    $(TEST_HELPER_OBJ:.o=.d) $(CDP_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(B)/tests/%.d)

# ---- fuzz: libFuzzer over every parser --------------------------------------
# One libFuzzer target per parser, tests/fuzz/fuzz_NAME.c: decode (pages),
# model (model JSON), eml (230b, 110a, 110b, 510b), csv (basistelling and
# station lists), manifest (replay manifests), sheet (separator-sheet
# codes). Each is linked with the library built by clang under ASan and
# UBSan (build/fuzz/); the app layer (OpenMP) and the OpenCV wrapper are
# left out, no parser needs them. The corpora are committed:
# tests/fuzz/corpus/NAME/ (decode's is tests/data/bad/), minimised.
# `make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS=eml]` fuzzes each target in
# turn for FUZZ_SECONDS from a copy of its corpus; crashing inputs land in
# build/fuzz/findings/NAME/. `make fuzz-corpus` merges what a run found
# back into the committed corpora: inputs of at most 4 KB that add
# coverage, and every named seed (the real files) kept as it is.
# `make test` runs every target over its corpus and for a few seconds
# more (tests/test_fuzz.c). `make bad-corpus` rewrites tests/data/bad/.
FUZZ_TARGETS ?= decode model eml csv manifest sheet
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE $(INCLUDES) -g -O1 $(FUZZ_SAN) $(PKG_CFLAGS) \
    -DST_FUZZ_MODEL='"$(CURDIR)/models/gr2022-west-maas-en-waal.json"'
FUZZ_LIB_SRC := $(filter-out src/app/%,$(LIB_SRC))
FUZZ_LIB := $(FUZZ_DIR)/libstemtel-fuzz.a
FUZZ_ALL := decode model eml csv manifest sheet
FUZZ_BIN := $(FUZZ_ALL:%=$(FUZZ_DIR)/fuzz_%)
CORPUS_TOOL := $(FUZZ_DIR)/make-bad-corpus
fuzz_corpus = $(if $(filter decode,$(1)),tests/data/bad,tests/fuzz/corpus/$(1))

.PHONY: fuzz fuzz-build fuzz-corpus bad-corpus

$(CORPUS_TOOL): tests/data/make-bad-corpus.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -o $@ $< \
	    $(shell pkg-config --cflags --libs libtiff-4)

$(FUZZ_DIR)/obj/%.o: %.c | $(B)/pkgconfig.ok
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_file.h $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BIN) ## build every libFuzzer target (build/fuzz/fuzz_NAME)

bad-corpus: $(CORPUS_TOOL) ## rewrite tests/data/bad/, the decoder's broken pages
	rm -f tests/data/bad/*.tif
	$(CORPUS_TOOL) tests/data/bad

fuzz: setup ## fuzz every parser for FUZZ_SECONDS each (FUZZ_TARGETS=NAME: one)
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%) $(CORPUS_TOOL)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    c=$(FUZZ_DIR)/corpus/$$t; rm -rf $$c; mkdir -p $$c $(FUZZ_DIR)/findings/$$t; \
	    if [ $$t = decode ]; then rm -rf $(FUZZ_DIR)/seeds; mkdir -p $(FUZZ_DIR)/seeds; \
	        $(CORPUS_TOOL) $(FUZZ_DIR)/seeds $$c; cp tests/data/bad/*.tif $$c/; \
	    else cp tests/fuzz/corpus/$$t/* $$c/; fi; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
	        -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/findings/$$t/ $$c; \
	done

fuzz-corpus: ## merge what `make fuzz` found into tests/fuzz/corpus/ (minimised)
	@set -e; for t in $(filter-out decode,$(FUZZ_TARGETS)); do \
	    c=tests/fuzz/corpus/$$t; rm -rf $$c.new $$c.pool; mkdir -p $$c.new $$c.pool; \
	    find $$c -type f ! -regex '.*/[0-9a-f]\{40\}' -exec cp {} $$c.new/ \; ; \
	    find $(FUZZ_DIR)/corpus/$$t -type f -size -4097c -exec cp {} $$c.pool/ \; ; \
	    $(FUZZ_DIR)/fuzz_$$t -merge=1 -timeout=10 $$c.new $$c $$c.pool; \
	    rm -rf $$c $$c.pool; mv $$c.new $$c; \
	    echo "$$c: $$(ls $$c | wc -l) inputs, $$(cat $$c/* | wc -c) bytes"; \
	done

# tests/test_fuzz.c runs the targets over their corpora.
$(B)/tests/test_fuzz.log: $(FUZZ_BIN)

-include $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.d)
# ---- end of fuzz ------------------------------------------------------------

# ---- bench: throughput, accuracy, rescan, hostile-input and screens tables ---
# `make bench` builds bench/throughput.c, bench/accuracy.c, bench/rescan.c,
# bench/hostile.c and bench/serve.c against the library and runs them from the repository
# root: they draw their ballots once into build/bench/data (reused while
# the synth sources are unchanged; hostile builds its files anew in
# build/bench/hostile), print their tables and rewrite their sections of
# bench/RESULTS.md.
# BENCH_QUICK=1 runs fewer pages and cells (under a minute) and writes
# build/bench/RESULTS-quick.md instead. accuracy exits
# 1, failing the target, when any ballot got a wrong definite outcome.
BENCH_BIN := $(B)/bench/throughput $(B)/bench/accuracy $(B)/bench/rescan $(B)/bench/hostile \
             $(B)/bench/serve
BENCH_OBJ := $(B)/bench/bench.o
BENCH_FLAGS := $(if $(BENCH_QUICK),--quick)

$(B)/bench/throughput: bench/throughput.c $(BENCH_OBJ) $(SYNTH_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BENCH_OBJ) $(ALL_LDFLAGS) $(LINK_LIBS)

$(B)/bench/accuracy: bench/accuracy.c $(BENCH_OBJ) $(SYNTH_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BENCH_OBJ) $(ALL_LDFLAGS) $(LINK_LIBS)

$(B)/bench/rescan: bench/rescan.c $(BENCH_OBJ) $(SYNTH_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BENCH_OBJ) $(ALL_LDFLAGS) $(LINK_LIBS)

$(B)/bench/hostile: bench/hostile.c $(BENCH_OBJ) $(SYNTH_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BENCH_OBJ) $(ALL_LDFLAGS) $(LINK_LIBS)

$(B)/bench/serve: bench/serve.c $(BENCH_OBJ) $(CDP_OBJ) $(SYNTH_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BENCH_OBJ) $(CDP_OBJ) $(ALL_LDFLAGS) $(LINK_LIBS) -lpthread

bench: $(BIN) $(BENCH_BIN) ## throughput, accuracy, rescan, hostile-input and screens tables into bench/RESULTS.md (BENCH_QUICK=1: fast)
	$(B)/bench/throughput $(BENCH_FLAGS) --bin $(BIN)
	$(B)/bench/accuracy $(BENCH_FLAGS)
	$(B)/bench/rescan $(BENCH_FLAGS)
	$(B)/bench/rescan $(BENCH_FLAGS) --seed 13
	$(B)/bench/hostile $(BENCH_FLAGS) --bin $(BIN)
	$(B)/bench/serve $(BENCH_FLAGS) --bin $(BIN)

-include $(BENCH_OBJ:.o=.d) $(BENCH_BIN:=.d)
# ---- end of bench -----------------------------------------------------------
