# The one entry point for setting up, testing and demonstrating the collection.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
export PATH := $(BIN):$(PATH)

# FQCN lookups need the checkout inside an ansible_collections/<ns>/<name> tree (a link will do);
# ansible-test needs a real directory there, outside this git checkout, so sanity runs on a copy
# of the files git would ship in a temporary tree.
COLLECTIONS_DIR := $(CURDIR)/tests/output/collections
COLLECTION_DIR := $(COLLECTIONS_DIR)/ansible_collections/streamops/eventhub_connect
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)

export TESTBED_STATE ?= $(CURDIR)/tests/output/testbed
TESTBED_ENV := $(TESTBED_STATE)/testbed.env
# The env file is KEY=VALUE per line, unquoted (connection strings hold ';'), so no `source`.
LOAD_TESTBED_ENV := while IFS= read -r line; do [ -z "$$line" ] || export "$$line"; done < $(TESTBED_ENV)
GET_PIP_CACHE := $(HOME)/.ansible/test/cache/get_pip_24_2.py

# Downloads the testbed caches (as tests/testbed/kube.py and kafka.py do), outside the checkout.
TESTBED_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/streamops-testbed
# promtool checks and unit-tests the alerting rules; prometheus is for the testbed. Both come from
# Debian's prometheus package, unpacked into the cache, never installed; a promtool on PATH wins.
PROMETHEUS_DIR := $(TESTBED_CACHE)/prometheus
PROMTOOL := $(or $(shell command -v promtool),$(PROMETHEUS_DIR)/bin/promtool)
ALERTS_DIR := extensions/observability/prometheus

.PHONY: help setup docs changelog-lint changelog-release lint sanity ansible-lint unit alerts-test prometheus integration-arm test-fast test \
        testbed-up testbed-down testbed-status test-testbed molecule demo bench bench-faults clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

setup: $(VENV)/.installed $(COLLECTION_DIR) $(GET_PIP_CACHE) ## Create .venv with the pinned tools and link the collection tree

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

$(COLLECTION_DIR):
	mkdir -p $(dir $@)
	ln -sfn ../../../../.. $@

$(GET_PIP_CACHE): tests/sanity/get_pip_offline.py
	mkdir -p $(dir $@)
	cp $< $@

docs: setup ## Regenerate the role READMEs' variable tables from meta/argument_specs.yml
	$(BIN)/python tests/tools/role_variables.py

changelog-lint: setup ## Check the changelog fragments and changelogs/changelog.yaml with antsibull-changelog
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml

changelog-release: changelog-lint ## Release the fragments as galaxy.yml's version: changelog.yaml and CHANGELOG.rst
	$(BIN)/antsibull-changelog release

lint: sanity ansible-lint changelog-lint ## Static checks: ansible-test sanity, ansible-lint, the changelog

sanity: setup ## ansible-test sanity (no ignores)
	tree=$$(mktemp -d); trap 'rm -rf "$$tree"' EXIT; dir=$$tree/ansible_collections/streamops/eventhub_connect; \
	  mkdir -p $$dir; ln -s $$($(BIN)/python -c 'import ansible_collections.kubernetes as k; print(k.__path__[0])') $$tree/ansible_collections/kubernetes; \
	  git ls-files --cached --others --exclude-standard -z \
	  | xargs -0 -I{} find {} -maxdepth 0 -type f -print0 | tar --null -cf - -T - | tar -xf - -C $$dir; \
	  cd $$dir && $(BIN)/ansible-test sanity --python 3.11 --color no $(SANITY_ARGS)

ansible-lint: setup ## ansible-lint, production profile
	$(BIN)/ansible-lint --profile production

PYTEST := $(BIN)/pytest -p no:cacheprovider -rs

unit: setup $(PROMTOOL) ## Unit tests (pure logic, local fakes of HTTP only)
	PROMTOOL=$(PROMTOOL) $(PYTEST) tests/unit tests/testbed/unit

alerts-test: $(PROMTOOL) ## promtool check rules and test rules on the shipped Prometheus alerts
	$(PROMTOOL) check rules $(ALERTS_DIR)/alerts.yml
	cd $(ALERTS_DIR) && $(PROMTOOL) test rules tests/*_test.yml

prometheus: $(PROMETHEUS_DIR)/bin/promtool ## Fetch Debian's prometheus package into the testbed cache (promtool, prometheus)

# apt-get download needs no root, but fresh package lists do: update only when the download fails.
# Unpacked into a scratch dir beside the cache and renamed, so an interrupted fetch never looks complete.
$(PROMETHEUS_DIR)/bin/promtool $(PROMETHEUS_DIR)/bin/prometheus &:
	@command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "promtool is missing: put \
	  Prometheus' promtool on PATH, or run make prometheus on Debian or Ubuntu (it unpacks their prometheus package)" >&2; exit 1; }
	mkdir -p $(dir $(PROMETHEUS_DIR))
	scratch=$$(mktemp -d $(PROMETHEUS_DIR).XXXXXX); trap 'rm -rf "$$scratch"' EXIT; chmod 755 "$$scratch"; \
	  ( cd "$$scratch" && { apt-get download prometheus 2>/dev/null \
	      || { echo "apt-get download failed; updating the package lists (needs root)"; apt-get update -qq \
	           && apt-get download prometheus; }; } ) \
	    || { echo "could not download Debian's prometheus package; put promtool on PATH instead" >&2; exit 1; }; \
	  dpkg-deb -x "$$scratch"/prometheus_*.deb "$$scratch/root"; \
	  mkdir "$$scratch/out" "$$scratch/out/bin"; \
	  mv "$$scratch/root/usr/bin/prometheus" "$$scratch/root/usr/bin/promtool" "$$scratch/out/bin/"; \
	  dpkg-deb -f "$$scratch"/prometheus_*.deb Version > "$$scratch/out/VERSION"; \
	  "$$scratch/out/bin/promtool" --version >/dev/null; \
	  rm -rf $(PROMETHEUS_DIR); mv "$$scratch/out" $(PROMETHEUS_DIR)
	@echo "prometheus $$(cat $(PROMETHEUS_DIR)/VERSION) unpacked into $(PROMETHEUS_DIR)"

integration-arm: setup ## Modules run by ansible-playbook against the ARM test double, and the double's own tests
	$(PYTEST) -m "not testbed" tests/integration tests/testbed/test_arm_double.py

test-fast: lint unit alerts-test integration-arm ## Sanity, lint, unit and ARM-double tests (no testbed needed)

testbed-up: setup ## Build (cached) and start the local testbed; writes $(TESTBED_ENV)
	$(BIN)/python tests/testbed/testbed.py up

testbed-down: ## Stop every testbed process
	$(PYTHON) tests/testbed/testbed.py down

testbed-status: ## Report the testbed's health
	$(PYTHON) tests/testbed/testbed.py status

test-testbed: testbed-up ## Tests of the testbed itself and integration tests that need it
	TESTBED_REQUIRED=1 $(PYTEST) tests/testbed --ignore=tests/testbed/test_arm_double.py --ignore=tests/testbed/unit
	TESTBED_REQUIRED=1 $(PYTEST) -m testbed tests/integration

molecule: testbed-up ## Molecule scenarios against the testbed
	$(LOAD_TESTBED_ENV); $(BIN)/molecule test --all

test: test-fast alerts-test ## Everything: sanity, lint, unit, ARM double, testbed, integration, molecule
	$(MAKE) test-testbed
	$(MAKE) molecule

demo: testbed-up ## Start the testbed, run site.yml (Debezium on PostgreSQL), show a row's change event on its topic
	$(LOAD_TESTBED_ENV); $(BIN)/ansible-playbook -i inventories/local playbooks/site.yml
	$(LOAD_TESTBED_ENV); $(BIN)/python tests/testbed/cdc_demo.py

# Every bench/*.py, each with what it needs; a new file missing from these lists fails the target.
BENCHES := hubs readiness connectors converge cdc_latency
BENCHES_APART := faults  # make bench-faults
bench: testbed-up ## Benchmarks (ratios against a baseline measured in the same run), all of bench/*.py
	for b in bench/*.py; do case " $(BENCHES) $(BENCHES_APART) " in *" $$(basename $$b .py) "*) ;; \
	  *) echo "make bench: $$b is not in BENCHES (Makefile)" >&2; exit 1;; esac; done
	uptime
	$(LOAD_TESTBED_ENV); $(BIN)/python bench/hubs.py
	$(LOAD_TESTBED_ENV); $(BIN)/python bench/readiness.py --runs 7
	$(LOAD_TESTBED_ENV); $(BIN)/python bench/connectors.py --runs 3
	$(LOAD_TESTBED_ENV); $(BIN)/python bench/converge.py --runs 3
	$(MAKE) demo
	$(LOAD_TESTBED_ENV); $(BIN)/python bench/cdc_latency.py --rows 25
	uptime

bench-faults: testbed-up ## Fault bench: rolling updates, node loss, killed and hung workers under CDC load (FAULTS=a,b to pick)
	$(LOAD_TESTBED_ENV); $(BIN)/python bench/faults.py $(if $(FAULTS),--faults $(FAULTS))

clean: testbed-down ## Remove generated state (keeps the build cache)
	rm -rf tests/output
