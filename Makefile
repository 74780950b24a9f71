# make help lists the targets. Every target creates .venv first if it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test test-browser test-postgres lint format messages messages-check clean crush crash

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

run: $(STAMP) ## migrate the SQLite database, load demo data, serve the portal on http://127.0.0.1:8000 with the scheduler and the job worker
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo
	@# The reminder scheduler and the background-job worker run beside the server and stop
	@# with it (Ctrl-C or any exit).
	DJANGO_DEBUG=1 $(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	DJANGO_DEBUG=1 $(BIN)/python manage.py run_jobs & jobs=$$!; \
	trap 'kill $$scheduler $$jobs 2>/dev/null; wait $$scheduler $$jobs 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT)

test: $(STAMP) ## run the whole suite on the embedded defaults (SQLite, in-memory channel layer), then the API fuzzing
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest -n 2 -m "not postgres and not redis and not browser and not fuzz"
	@# schemathesis counts its cases across the roles, so it runs in one process.
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest -p no:xdist -m fuzz tests/api/test_schemathesis.py

test-browser: $(STAMP) ## the browser suite: Playwright driving Debian's Chromium (apt-get install chromium)
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest -p no:xdist -m browser

test-postgres: $(STAMP) ## run the whole suite against DATABASE_URL and REDIS_URL (see .ci/run)
	@# Two workers, each with its own test database; the Redis tests share one server, so they
	@# run on their own afterwards.
	$(BIN)/python -m pytest -n 2 -m "not redis and not browser and not fuzz"
	$(BIN)/python -m pytest -m redis

crush: $(STAMP) ## deadline-crush benchmark: 300 applicant sessions against uvicorn (2 workers) and PostgreSQL (~5 min)
	$(BIN)/python benchmarks/crush.py

crash: $(STAMP) ## crash benchmark: kill -9 the ASGI server mid-burst of 200 submissions, then check nothing was lost
	$(BIN)/python benchmarks/crash.py 200

lint: $(STAMP) ## ruff check and format check, manage.py check, makemigrations --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=lint $(BIN)/python manage.py check
	SECRET_KEY=lint $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP) ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP) ## extract and compile the translation catalogues
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

messages-check: $(STAMP) ## fail when a user-facing string has no Chinese translation (needs gettext)
	@cp locale/zh_Hans/LC_MESSAGES/django.po /tmp/jiebang-django.po.bak
	@DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=benchmarks -v0
	@missing=$$(msgattrib --untranslated locale/zh_Hans/LC_MESSAGES/django.po | grep -c '^msgid' || true); \
	 fuzzy=$$(msgattrib --only-fuzzy locale/zh_Hans/LC_MESSAGES/django.po | grep -c '^msgid' || true); \
	 cp /tmp/jiebang-django.po.bak locale/zh_Hans/LC_MESSAGES/django.po; \
	 if [ "$$missing$$fuzzy" != "00" ]; then echo "untranslated: $$missing, fuzzy: $$fuzzy (run make messages and translate)"; exit 1; fi; \
	 echo "every message has a Chinese translation"

clean: ## remove the virtualenv and the local database
	rm -rf $(VENV) var
