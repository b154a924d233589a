# The two commands for a fresh machine: `make up` (run the system) and `make test` (run the tests).
SHELL := /bin/bash
PY := .venv/bin/python
PIP_CACHE := .cache/pip
STAMP := .venv/.installed

.PHONY: install up down scale test logs status token fuzz

install: $(STAMP)
	@bash infra/fonts.sh ensure

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	@mkdir -p .cache
	@echo "installing Python dependencies into .venv (log: .cache/pip-install.log)" >&2
	@( $(PY) -m pip install --cache-dir $(PIP_CACHE) --upgrade pip \
	  && $(PY) -m pip install --cache-dir $(PIP_CACHE) -e '.[test,bench]' ) >.cache/pip-install.log 2>&1 \
	  || { tail -n 30 .cache/pip-install.log; exit 1; }
	@touch $(STAMP)

# This install's keys are generated the first time into .run/secrets.env (mode 600, never committed) and kept.
# Keycloak is launched right after PostgreSQL and waited for once the services are up (it takes the longest).
# make up is development: it alone passes ENVIRONMENT=development to the command that creates the development users.
# SCALE="intake=3 cases=2 projections=2": instances per service (default one each), behind the balancer on each
# service's own port (infra/services.sh, infra/balancer.sh; README: Scaling out).
# KAFKA_NODES=3 make up: a three-node Kafka cluster (infra/kafka.sh), whose every node the services bootstrap from.
up: install assets
	@$(PY) -m shared.stack_keys ensure
	@bash infra/postgres.sh start
	@bash infra/keycloak.sh launch
	@bash infra/kafka.sh start
	@$(PY) -m shared.stack_keys exec $(PY) -m shared.topics
	@$(PY) -m shared.stack_keys exec $(PY) -m shared.kafka_access apply
	@SCALE="$(SCALE)" bash infra/services.sh start
	@bash infra/services.sh wait
	@bash infra/keycloak.sh start
	@ENVIRONMENT=development $(PY) -m shared.identity dev-users --url "$$(bash infra/keycloak.sh url)"
	@bash infra/proxy.sh start
	@echo "County environmental closed-loop system is up at $$(bash infra/proxy.sh url)"
	@echo "  (the workbench at /, the dashboard at /dashboard/, the services at /api/<service>/; infra/proxy.sh)"
	@bash infra/services.sh status
	@bash infra/proxy.sh status
	@echo "  keycloak        $$(bash infra/keycloak.sh url)/realms/county (admin console $$(bash infra/keycloak.sh url)/admin/: admin, KEYCLOAK_ADMIN_PASSWORD in .run/secrets.env)"
	@echo "  kafka           $$(bash infra/kafka.sh bootstrap) (SASL/SCRAM; each service its own user: python -m shared.kafka_access show)"
	@echo "  postgresql      $$(bash infra/postgres.sh url)"
	@echo "  logs            .run/logs/ (make logs)"

# On a running stack: make scale intake=4 [cases=2 …]. Up: start, wait ready, add to the balancer; down: leave the
# balancer, finish requests in flight, SIGTERM (consumers leave their group, the relay releases its slots).
scale: install
	@bash infra/services.sh scale $(filter-out SCALE=%,$(MAKEOVERRIDES))

down:
	@bash infra/proxy.sh stop
	@bash infra/services.sh stop
	@bash infra/keycloak.sh stop
	@bash infra/kafka.sh stop
	@bash infra/postgres.sh stop

status:
	@bash infra/services.sh status
	@bash infra/proxy.sh status || true
	@bash infra/keycloak.sh status | sed 's/^/  /' || true

logs:
	@tail -n 40 .run/logs/*.log

.PHONY: bench bench-scaling drill
# Benchmarks of the running stack (after make up) beside their baselines: python -m bench --help
# The open-loop generator, vegeta (Go), is built once into .cache/go/bin; without Go the bench says it skipped it.
# wrk (the saturation loads: CPU per report, intake alone) is Debian's, installed the first time (as root; infra/apt.sh).
VEGETA_VERSION := v12.13.0
VEGETA := .cache/go/bin/vegeta
# The closed loop's clients (bench/loopclient/main.go, the standard library only): built here and by make test.
LOOP_CLIENT := .cache/go/bin/loopclient
GO_ENV := GOPATH=$(CURDIR)/.cache/go GOMODCACHE=$(CURDIR)/.cache/go/mod GOCACHE=$(CURDIR)/.cache/go/build GOFLAGS=-modcacherw
bench: install $(VEGETA) $(LOOP_CLIENT)
	@bash -c 'source infra/apt.sh && apt_ensure wrk' || echo "without wrk the bench says it skipped the figures wrk measures" >&2
	@$(PY) -m bench $(ARGS)

# intake at 1, 2 and 3 instances through the balancer (docs/scaling.md); INTAKE_INSTANCES=1,2,4 for other counts
INTAKE_INSTANCES ?= 1,2,3
bench-scaling: install
	@$(PY) -m bench.scaling --instances $(INTAKE_INSTANCES) $(if $(ARGS),-- $(ARGS))

$(VEGETA):
	@if ! command -v go >/dev/null; then \
	  echo "go is not installed: the bench skips the open-loop figure (vegeta); apt-get install golang-go to run it" >&2; \
	else \
	  mkdir -p .cache/go; \
	  echo "building vegeta $(VEGETA_VERSION) into $(VEGETA) (go install; log .cache/go-install.log)" >&2; \
	  $(GO_ENV) go install github.com/tsenart/vegeta/v12@$(VEGETA_VERSION) >.cache/go-install.log 2>&1 \
	    || { tail -n 30 .cache/go-install.log; exit 1; }; \
	fi

$(LOOP_CLIENT): bench/loopclient/main.go
	@if ! command -v go >/dev/null; then \
	  echo "go is not installed: the bench skips the closed loop (loopclient); apt-get install golang-go to run it" >&2; \
	else \
	  mkdir -p $(dir $(LOOP_CLIENT)) && $(GO_ENV) go build -o $@ bench/loopclient/main.go; \
	fi

# Fault drill on a Kafka and PostgreSQL of its own (19092/19093, 55433): python -m drill --help
# KAFKA_NODES=3 make drill: on a three-node cluster (19092-19094), with its broker faults (drill/README.md)
# make drill SCALE="intake=2 cases=2": instances per service as make up takes them; a kill -9 kills one of them
# Its load signs in at make up's Keycloak (on make up's PostgreSQL), started here if down, as the development users
# that only make up creates: run make up once on the machine first.
drill: install
	@$(PY) -m shared.stack_keys ensure
	@bash infra/postgres.sh start
	@bash infra/keycloak.sh start
	@$(PY) -m drill $(ARGS)

# Two workers (pytest-xdist), a file's tests on one of them (README: Tests). The chart's tools (chart-tools, below) are
# built by the tests themselves, in the background while the others run, and their tests run last
# (tests/support/chart_tools.py). --durations: the slowest tests, listed at the end, say where the time goes.
test: go-tools-early infra-early lint assets browser $(LOOP_CLIENT)
	@$(PY) -m pytest -q -n 2 --dist loadfile --durations=25

# The Helm chart's validation offline (deploy/helm, tests/unit/test_helm_chart.py): helm and kubeconform built from the Go
# module proxy into .cache/go/bin (the first build of helm about 8 minutes on 2 busy cores, then kept; built without the
# compiler's optimisations, -N -l: a quarter less CPU to build — kubeconform 38 → 28 s user — for tools the tests run
# for a second or two), and the schemas
# into .cache/chart/schemas (deploy/schemas.py: Kubernetes' from the kubernetes-validate package, Strimzi's CRDs from
# Maven Central, KEDA's from its Go module; about a minute).
# v3.21.4: the newest helm 3 the module proxy's list here approves (it serves v3.22.0 but marks it not to be used)
HELM_VERSION := v3.21.4
KUBECONFORM_VERSION := v0.8.0
HELM := .cache/go/bin/helm
KUBECONFORM := .cache/go/bin/kubeconform
CHART_SCHEMAS := .cache/chart/schemas/.complete
.PHONY: chart-tools
chart-tools: $(HELM) $(KUBECONFORM) $(CHART_SCHEMAS)

$(HELM) $(KUBECONFORM):
	@command -v go >/dev/null || { echo "go is not installed: apt-get install golang-go (the chart's tests need helm and kubeconform)" >&2; exit 1; }
	@mkdir -p .cache/go
	@echo "building $(notdir $@) into $@ (go install; log .cache/go-install-$(notdir $@).log)" >&2
	@$(GO_ENV) go install -ldflags='-s -w' -gcflags='all=-N -l' \
	  $(if $(filter $(HELM),$@),helm.sh/helm/v3/cmd/helm@$(HELM_VERSION),github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)) \
	  >.cache/go-install-$(notdir $@).log 2>&1 || { tail -n 30 .cache/go-install-$(notdir $@).log; exit 1; }

$(CHART_SCHEMAS): deploy/schemas.py | install
	@$(GO_ENV) $(PY) -m deploy.schemas build .cache/chart/schemas

# make test starts building helm and kubeconform (minutes of CPU on a fresh machine) before anything else, in the
# background at the lowest priority, under the lock the tests wait on (tests/support/chart_tools.py): the install,
# the lint and the assets before the tests leave a core idle most of the time (pip and npm wait on downloads, mypy and
# vue-tsc use one core), and the Go modules download meanwhile. A fresh clone's chart tests waited 111–148 s for the
# build at the end when it started only with the tests. The schemas need the venv: the tests make them.
.PHONY: go-tools-early
go-tools-early:
	@if command -v go >/dev/null && ! { test -x $(HELM) && test -x $(KUBECONFORM); }; then \
	  mkdir -p .cache; \
	  setsid nice -n 19 flock .cache/chart-tools.lock make --no-print-directory $(HELM) $(KUBECONFORM) \
	    >>.cache/chart-tools.log 2>&1 </dev/null & \
	fi

# make test starts the tests' PostgreSQL and Kafka before the install too, in the background (the same scripts and
# locks as the tests' own launch at collection, tests/support/stack.py), so that they do not start beside the unit tests
# and Keycloak's first install: a fresh clone's first file of broker tests waited 40 s in its setup. On the idle
# machine a fresh clone's Kafka takes 9 s for its jars (Maven Central) and 6 s for its first start.
# Not when the tests take their servers from the environment or from Docker (testcontainers).
.PHONY: infra-early
infra-early:
	@if [[ -z "$$KAFKA_BOOTSTRAP_SERVERS" || -z "$$DATABASE_URL" ]] && ! { command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }; then \
	  mkdir -p .run/logs; \
	  setsid bash -c 'bash infra/postgres.sh start && bash infra/kafka.sh start' \
	    >>".run/logs/infrastructure-$${KAFKA_PORT:-9092}-launch.log" 2>&1 </dev/null & \
	fi

# Format, lint rules and types (pyproject.toml): make test runs this first, so CI fails on a violation.
.PHONY: lint format
lint: install
	@$(PY) -m ruff format --check .
	@$(PY) -m ruff check .
	@$(PY) -m mypy
	@if command -v gofmt >/dev/null && [ -n "$$(gofmt -l bench/loopclient)" ]; then \
	  echo "gofmt: bench/loopclient is not formatted (gofmt -w bench/loopclient)" >&2; exit 1; fi

format: install
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix .

# Schemathesis against the running stack (run `make up` first): every API per role, then every command on real
# cases it creates first, by the roles that may and one that may not (python -m fuzz --help; FUZZ_SECONDS per run).
fuzz: install
	@$(PY) -m fuzz $(ARGS)

# An access token (5 minutes) of make up's development user of a role, signed in through Keycloak (shared/signin.py):
#   make token ROLE=inspection_office      make token ROLE=unit [UNIT=河口镇人民政府]
token: install
	@$(PY) -m shared.signin --role $(ROLE) $(if $(UNIT),--unit "$(UNIT)")

# Rebuild projections' read models from offset 0 of every topic; the service answers from the old ones until the switch.
.PHONY: rebuild-projections
rebuild-projections: install
	@$(PY) -m shared.stack_keys exec --as projections $(PY) -m services.projections.rebuild

# Dead letters (死信) per topic with reason and age, then replay chosen ones to their topic after a fix (shared/dlq.py):
#   make dlq [ARGS="--topic cases.events"]
#   make dlq-replay TOPIC=cases.events OFFSETS=0:12,2:7   (or ALL=1: every letter not replayed yet; ARGS=--again)
.PHONY: dlq dlq-replay verify
# Recomputes every hash chain of every service's event store (README: Audit); ARGS="intake=mydb ..." for others.
verify: install
	@$(PY) -m shared.audit verify $(ARGS)

dlq: install
	@$(PY) -m shared.dlq list $(ARGS)

dlq-replay: install
	@$(PY) -m shared.dlq replay --topic "$(TOPIC)" $(if $(ALL),--all,--offsets "$(OFFSETS)") $(ARGS)

# The dashboard's assets from npm (ECharts, oidc-client-ts), installed into its own ignored node_modules: no CDN at run time.
DASHBOARD := services/projections/dashboard
.PHONY: assets browser demo dashboard-screenshot workbench-screenshot
assets: $(DASHBOARD)/node_modules/.package-lock.json workbench

$(DASHBOARD)/node_modules/.package-lock.json: $(DASHBOARD)/package.json $(DASHBOARD)/package-lock.json
	@cd $(DASHBOARD) && npm ci --cache "$(CURDIR)/.cache/npm" --no-audit --no-fund --loglevel=error

# The workbench (工作台, workbench/): Vue 3, Element Plus and TypeScript from npm (the lockfile's versions), type-checked
# (vue-tsc) and built by Vite into workbench/dist, which the proxy serves at /. Installed again only when package.json
# or the lockfile changed, built again only when a source did: a second make test does neither.
WORKBENCH := workbench
WORKBENCH_SOURCES := $(shell find $(WORKBENCH)/src $(WORKBENCH)/public -type f 2>/dev/null) \
  $(addprefix $(WORKBENCH)/,index.html vite.config.ts tsconfig.json)
.PHONY: workbench workbench-dev
workbench: $(WORKBENCH)/dist/index.html

$(WORKBENCH)/node_modules/.package-lock.json: $(WORKBENCH)/package.json $(WORKBENCH)/package-lock.json
	@echo "installing the workbench's npm packages (npm ci, cache .cache/npm)" >&2
	@cd $(WORKBENCH) && npm ci --cache "$(CURDIR)/.cache/npm" --no-audit --no-fund --loglevel=error

$(WORKBENCH)/dist/index.html: $(WORKBENCH)/node_modules/.package-lock.json $(WORKBENCH_SOURCES)
	@echo "building the workbench (vue-tsc, vite) into workbench/dist (log: .cache/workbench-build.log)" >&2
	@mkdir -p .cache
	@cd $(WORKBENCH) && npm run build >"$(CURDIR)/.cache/workbench-build.log" 2>&1 \
	  || { tail -n 40 "$(CURDIR)/.cache/workbench-build.log"; rm -f dist/index.html; exit 1; }

# Development only: Vite's dev server on http://127.0.0.1:5173 (the API through the proxy at WORKBENCH_PROXY, default
# http://127.0.0.1:8000); open http://127.0.0.1:5173/?dev to sign in with a pasted `make token` (never in a build).
workbench-dev: $(WORKBENCH)/node_modules/.package-lock.json
	@cd $(WORKBENCH) && npm run dev

# Debian's Chromium and Chinese fonts for the dashboard's browser test (Playwright drives it; no browser download).
browser:
	@if ! command -v chromium >/dev/null || ! fc-list :lang=zh | grep -q .; then \
	  echo "installing chromium and fonts-noto-cjk (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# A simulated county year through the services' HTTP APIs, then the dashboard's addresses (sign in as dev-viewer).
# DEMO_ARGS="--problems 100 --month-seconds 2" changes its size and pace (python -m demo --help).
# Development only: it adds a development user per unit of its county to make up's Keycloak (shared/identity.py).
# The stack it starts takes demo/closure_policy.toml: a 公示期 of seconds, as the demo's months are (CLOSURE_POLICY
# overrides it; a stack already up keeps its policy, and the demo leaves its cases 公示中).
demo: export CLOSURE_POLICY ?= $(CURDIR)/demo/closure_policy.toml
demo: up assets
	@ENVIRONMENT=development $(PY) -m demo $(DEMO_ARGS)

# docs/dashboard.png: the demo on a private stack (own ports, topics, databases; make up's Keycloak), then a screenshot.
dashboard-screenshot: install assets browser
	@ENVIRONMENT=development $(PY) -m demo.screenshot

# docs/workbench-unit-phone.png: the unit's page at phone width, from the browser test of the whole loop.
workbench-screenshot: install assets browser
	@WORKBENCH_SCREENSHOT=$(CURDIR)/docs/workbench-unit-phone.png $(PY) -m pytest -q tests/e2e/test_workbench_loop.py
