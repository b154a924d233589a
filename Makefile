# The two commands for a fresh machine: `make up` (run the system) and `make test` (run the tests).
SHELL := /bin/bash
PY := .venv/bin/python
PIP_CACHE := .cache/pip
STAMP := .venv/.installed

.PHONY: install up down test logs status topics

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	@$(PY) -m pip install -q --cache-dir $(PIP_CACHE) --upgrade pip
	@$(PY) -m pip install -q --cache-dir $(PIP_CACHE) -e '.[test]'
	@touch $(STAMP)

up: install
	@bash infra/postgres.sh start
	@bash infra/kafka.sh start
	@$(PY) -m shared.topics
	@bash infra/services.sh start
	@bash infra/services.sh wait
	@echo "County environmental closed-loop system is up:"
	@bash infra/services.sh status
	@echo "  kafka           127.0.0.1:9092"
	@echo "  postgresql      $$(bash infra/postgres.sh url)"
	@echo "  logs            .run/logs/ (make logs)"

down:
	@bash infra/services.sh stop
	@bash infra/kafka.sh stop
	@bash infra/postgres.sh stop

status:
	@bash infra/services.sh status

logs:
	@tail -n 40 .run/logs/*.log

test: install
	@$(PY) -m pytest -q
