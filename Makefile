# hocba — build, test and run. `make` builds bin/; `make test` runs every
# test under AddressSanitizer and UndefinedBehaviorSanitizer; `make run`
# makes demo data, publishes it and serves it.

CC       ?= cc
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
WARN     += -Wno-format-truncation
endif
CPPFLAGS += -I. -D_GNU_SOURCE -DH2O_USE_LIBUV=0
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -pthread
LIBS     := -llmdb -ljansson -lqrencode -lz -ldeflate -llz4 -lunistring -lssl -lcrypto -lpthread -lm
H2O_LIBS := -lh2o-evloop
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

LIB_SRC  := $(wildcard lookup/*.c)
TOOLS    := hocba-publish hocba-demo
DEMO_SRC := $(wildcard tools/demo_*.c)
PORTAL_SRC := $(wildcard portal/*.c)
TESTS    := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

REL      := build/rel
ASAN     := build/asan

.PHONY: all test test-run browser-test run clean check-deps format format-check bench fuzz setup-fuzz setup-bench
.SECONDARY:
# Node.js: the one npm installs from the registry (package.json pins it;
# Debian 12's own is too old for playwright-core) comes first, when present:
# tools/nodepath/node finds it.
OUR_PATH    := $(CURDIR)/tools/nodepath:$(CURDIR)/node_modules/.bin:
SYSTEM_PATH := $(subst $(OUR_PATH),,$(PATH))
export PATH := $(OUR_PATH)$(SYSTEM_PATH)

all: $(addprefix bin/,$(TOOLS)) bin/hocba-portal

# -Wno-format-truncation: every snprintf into a fixed buffer truncates on
# purpose (bounded messages); the warning would flag each one.
# ---- release build -------------------------------------------------------
$(REL)/%.o: %.c $(wildcard lookup/*.h tools/*.h portal/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(REL)/liblookup.a: $(patsubst %.c,$(REL)/%.o,$(LIB_SRC))
	ar rcs $@ $^

bin/hocba-portal: $(patsubst %.c,$(REL)/%.o,$(PORTAL_SRC)) $(REL)/liblookup.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(H2O_LIBS) $(LIBS)

# a tool is tools/NAME.c; hocba-publish also has its commands' files
# (tools/publish_*.c, tools/publish.h) and hocba-demo its parts
# (tools/demo_*.c); objects first, then the archive
PUBLISH_SRC := $(wildcard tools/publish_*.c)
bin/hocba-publish: $(patsubst %.c,$(REL)/%.o,$(PUBLISH_SRC))
bin/hocba-demo: $(patsubst %.c,$(REL)/%.o,$(DEMO_SRC))
bin/hocba-%: $(REL)/tools/%.o $(REL)/liblookup.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LIBS)

# ---- sanitizer build (tests) -----------------------------------------------
$(ASAN)/%.o: %.c $(wildcard lookup/*.h tools/*.h portal/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN) -c $< -o $@

$(ASAN)/liblookup.a: $(patsubst %.c,$(ASAN)/%.o,$(LIB_SRC))
	ar rcs $@ $^

$(ASAN)/bin/hocba-portal: $(patsubst %.c,$(ASAN)/%.o,$(PORTAL_SRC)) $(ASAN)/liblookup.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(H2O_LIBS) $(LIBS)

$(ASAN)/bin/hocba-publish: $(patsubst %.c,$(ASAN)/%.o,$(PUBLISH_SRC))
$(ASAN)/bin/hocba-%: $(ASAN)/tools/%.o $(ASAN)/liblookup.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LIBS)
$(ASAN)/bin/hocba-demo: $(patsubst %.c,$(ASAN)/%.o,$(DEMO_SRC))

# tests/harness.c: what the tests of the real programs share
# (objects first, then the archive: an object added below may need it)
$(ASAN)/tests/%: $(ASAN)/tests/%.o $(ASAN)/tests/harness.o $(ASAN)/liblookup.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LIBS) -lcmocka

$(patsubst %.c,$(ASAN)/%.o,$(wildcard tests/*.c)): tests/harness.h tests/http.h tests/portal_fixture.h

# tests/portal_fixture.c: the group and helpers of the tests/test_portal*.c binaries
PORTAL_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_portal*.c))
$(addprefix $(ASAN)/tests/,$(PORTAL_TESTS)): $(ASAN)/tests/portal_fixture.o

# tests/http.c: the HTTP client of the tests that talk to a real server
HTTP_TESTS := $(PORTAL_TESTS) test_hardening test_scaleout test_http_limits test_receipt
$(addprefix $(ASAN)/tests/,$(HTTP_TESTS)): $(ASAN)/tests/http.o

# the portal's cache is a plain module: tested on its own
$(ASAN)/tests/test_cache: $(ASAN)/tests/test_cache.o $(ASAN)/portal/cache.o
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka

# so is the framing check (portal/framing.h)
$(ASAN)/tests/test_framing: $(ASAN)/tests/test_framing.o $(ASAN)/portal/framing.o
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lcmocka

# and the multipart reader (portal/multipart.h), with the media-type reader it uses
$(ASAN)/tests/test_multipart: $(ASAN)/tests/test_multipart.o $(ASAN)/portal/multipart.o $(ASAN)/portal/match.o
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -ljansson -lcmocka

# and the request's parameters (portal/match.h)
$(ASAN)/tests/test_match: $(ASAN)/tests/test_match.o $(ASAN)/portal/match.o
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -ljansson -lcmocka

# and the lookup limiter (portal/ratelimit.h)
$(ASAN)/tests/test_ratelimit: $(ASAN)/tests/test_ratelimit.o $(ASAN)/portal/ratelimit.o
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ -lm -lcmocka

# and the /metrics counters (portal/metrics.h), with libh2o's memory pool
$(ASAN)/tests/test_metrics: $(ASAN)/tests/test_metrics.o $(ASAN)/portal/metrics.o $(ASAN)/tests/harness.o $(ASAN)/liblookup.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(H2O_LIBS) $(LIBS) -lcmocka

# and the access log (portal/alog.h), with the router that finds a path's code
$(ASAN)/tests/test_alog: $(ASAN)/tests/test_alog.o $(ASAN)/portal/alog.o $(ASAN)/portal/match.o $(ASAN)/tests/harness.o $(ASAN)/liblookup.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LIBS) -lcmocka

# `make test` first installs what the tests need (tools/setup.sh: Debian
# packages only, and only the missing ones), then builds and runs them.
test:
	@PATH="$(SYSTEM_PATH)" sh tools/setup.sh test
	@$(MAKE) --no-print-directory test-run

# HOCBA_BIN: the sanitizer builds every test drives; HOCBA_REL_BIN: the
# release builds, for the few load tests where sanitizer speed would distort timing.
test-run: all $(addprefix $(ASAN)/bin/,$(TOOLS)) $(ASAN)/bin/hocba-portal $(addprefix $(ASAN)/tests/,$(TESTS)) node_modules/.package-lock.json
	@HOCBA_BIN=$(CURDIR)/$(ASAN)/bin HOCBA_REL_BIN=$(CURDIR)/bin LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    tests/run-everything.sh $(addprefix $(ASAN)/tests/,$(TESTS))

# The browser tests (make test runs them after the C tests, against the
# sanitizer build): headless Debian Chromium drives the real portal on
# loopback (tests/browser/run.sh). Alone, against the release build:
browser-test: all node_modules/.package-lock.json
	@HOCBA_BIN=$(CURDIR)/bin tests/browser/run.sh

# the npm packages as package-lock.json pins them (Node.js 22, playwright-core,
# axe-core, html-validate, redocly, ajv), installed by the system's npm
node_modules/.package-lock.json: package.json package-lock.json
	PATH="$(SYSTEM_PATH)" npm ci --no-audit --no-fund

# ---- demo ----------------------------------------------------------------
DEMO_DIR ?= demo-data
DEMO_DB  ?= $(DEMO_DIR)/index
run:
	@PATH="$(SYSTEM_PATH)" sh tools/setup.sh run
	@$(MAKE) --no-print-directory all
	@tools/run-demo.sh "$(DEMO_DIR)" "$(DEMO_DB)"

# libFuzzer targets (clang): regression inputs first, then FUZZ_SECONDS each.
FUZZ_SECONDS ?= 20
fuzz: setup-fuzz all
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# the benches' index filler (bench/fill-index.c), linked as the programs are
build/fill-index: bench/fill-index.c $(REL)/liblookup.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

# a cold answer stage by stage, in one process (bench/coldpath.c; bench/portal.sh runs it)
build/coldpath: bench/coldpath.c $(REL)/liblookup.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LIBS)

bench: setup-bench all
	bench/publish.sh

# what is missing, installing nothing (tools/setup.sh installs)
check-deps:
	@PATH="$(SYSTEM_PATH)" sh tools/setup.sh check
setup-%:
	@PATH="$(SYSTEM_PATH)" sh tools/setup.sh $*

# every C file is as .clang-format writes it: `make format` makes it so,
# `make format-check` (CI) fails on any file that is not
FORMATTED := $(wildcard lookup/*.[ch] portal/*.[ch] tools/*.[ch] tests/*.[ch] tests/fuzz/*.c bench/*.c)
format:
	clang-format -i $(FORMATTED)

format-check:
	@PATH="$(SYSTEM_PATH)" sh tools/setup.sh format
	clang-format --dry-run -Werror $(FORMATTED)

clean:
	rm -rf build bin
