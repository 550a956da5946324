# buurt — the two front doors are `make run` and `make test`; everything they need is provisioned here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml sdk/python/pyproject.toml constraints.txt | sha1sum | cut -c1-12)

.PHONY: setup run test test-unit test-integration test-e2e lint format up up-cluster down bench bench-quick chaos infra-up infra-down clean

$(STAMP): pyproject.toml sdk/python/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]' -e sdk/python
	rm -f $(VENV)/.installed-* && touch $@

## setup: Python venv (pinned by constraints.txt), Apache Kafka jars (Maven Central), redis-server, kcat (Kafka
## input fuzzing), LibreOffice Calc without its GUI (real spreadsheet exports) and, for the browser test, chromium +
## chromium-driver (apt, when missing)
setup: $(STAMP)
	$(BIN)/buurt-infra fetch
	$(BIN)/python -c "from services.infra import apt; apt.ensure('redis-server', ['redis-server'])"
	$(BIN)/python -c "from services.infra import apt; apt.ensure('chromedriver', ['chromium', 'chromium-driver'])"
	$(BIN)/python -c "from services.infra import apt; apt.ensure('kcat', ['kcat'])"
	$(BIN)/python -c "from services.infra import apt; apt.ensure('soffice', ['libreoffice-calc-nogui'], recommends=False)"

## run: the whole platform locally with demo data (Ctrl-C stops it; data persists in .data/)
run: setup
	$(BIN)/buurt-infra run

## test: unit, integration (real Kafka and Redis) and end-to-end tests
test: setup
	$(BIN)/pytest tests/unit tests/integration tests/e2e

test-unit: $(STAMP)
	$(BIN)/pytest tests/unit

test-integration: setup
	$(BIN)/pytest tests/integration

test-e2e: setup
	$(BIN)/pytest tests/e2e

lint: $(STAMP)
	$(BIN)/ruff check services tests bench tools sdk/python/src
	$(BIN)/mypy services tests bench tools sdk/python/src

format: $(STAMP)
	$(BIN)/ruff check --fix services tests bench tools sdk/python/src

## bench / bench-quick: measured numbers beside their baselines, written to bench/results/<timestamp>.json
bench: setup
	$(BIN)/python -m bench.run

bench-quick: setup
	$(BIN)/python -m bench.run --quick

## chaos: the long fault and abuse suite (about 25 minutes), ending with a summary table (docs/reliability.md)
chaos: setup
	$(BIN)/python -m tests.chaos.run

infra-up: setup
	$(BIN)/buurt-infra up

infra-down: $(STAMP)
	$(BIN)/buurt-infra down

## up / down: the platform in Docker (docker-compose.yml); up-cluster: the "cluster" profile (three Kafka nodes, a
## Redis replica and three sentinels), a separate installation: `make down` and remove the volumes before switching
COMPOSE_SECRETS := $(BIN)/python -c "from services.infra import compose, paths, stack; \
	stack.local_secrets(paths.data_dir()); compose.ensure_secrets(paths.data_dir())"
CLUSTER_ENV := BUURT_KAFKA_NODES=3 BUURT_KAFKA_BOOTSTRAP=kafka-1:9092,kafka-2:9092,kafka-3:9092 \
	BUURT_REDIS_SENTINELS=sentinel-1:26379,sentinel-2:26379,sentinel-3:26379

up: $(STAMP)
	$(COMPOSE_SECRETS)
	docker compose --env-file .data/secrets.env up -d --build --wait

up-cluster: $(STAMP)
	$(COMPOSE_SECRETS)
	$(CLUSTER_ENV) docker compose --env-file .data/secrets.env --profile cluster up -d --build --wait

down:
	docker compose --env-file .data/secrets.env --profile cluster down

clean:
	rm -rf .data
