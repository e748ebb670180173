# The README's two commands: `make run` and `make test`. Everything they need is installed here.
VENV    ?= .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test test-backend index lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# the CPU build of torch first: an unpinned torch would pull several GB of CUDA libraries
	$(PIP) install -q torch==2.13.0
	# llama-cpp-python compiles from source the first time (about 7 minutes on 2 cores)
	$(PIP) install -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list | grep -qi 'Noto Sans Devanagari' && fc-list | grep -qi 'Noto Sans Telugu' || { \
	  echo "installing Debian's Noto fonts for the Hindi and Telugu browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core >/dev/null; }
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/tutor index
	$(VENV)/bin/tutor serve

index: $(VENV)/.installed
	$(VENV)/bin/tutor index

test: $(VENV)/.test-installed
	$(PY) -m pytest -q

# The answer and retrieval tests again with other vectors than this machine's default embeds: int8, the
# furthest from float32 (worst cosine about 0.95). A test that holds here does not lean on a figure's noise.
SECOND_BACKEND ?= int8
test-backend: $(VENV)/.test-installed
	TUTOR_EMBEDDING_BACKEND=$(SECOND_BACKEND) $(PY) -m pytest -q tests/test_answers.py tests/test_retrieval.py \
	  tests/test_key_sentences.py tests/test_tutor.py

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check tutor ui tests bench
	$(VENV)/bin/ruff format --check tutor ui tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(VENV)/.installed
	$(PY) bench/index.py
	$(PY) bench/answer.py
	$(PY) bench/retrieval.py
	$(PY) bench/memory.py

clean:
	rm -rf $(VENV) .tutor eval-report
