# ECG Studio: two commands on a fresh machine —  `make run` (the app) and `make test` (the suite).
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test bench screenshots model results bundle deb wheel audit smoke test-packaging clean-cache install
install: $(STAMP)

# Order-only: the stamp's name is the checksum of pyproject.toml, so only a change of its content reinstalls
# (a fresh checkout or worktree has a newer pyproject.toml than the shared venv's stamp, and must not).
$(STAMP): | pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

## run: install if needed, then open the app on the bundled sample records (or ARGS=path)
run: $(STAMP)
	@tools/qt_syslibs.sh gui
	$(BIN)/ecgstudio $(ARGS)

## test: install if needed, then run the whole test suite with Qt offscreen
test: $(STAMP)
	@tools/qt_syslibs.sh offscreen
	@tools/postgres_for_tests.sh
	@QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; exit $$rc

## bench: run the benchmarks and append a dated table to benchmarks/RESULTS.md
bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks

## model: retrain the bundled model (CPU, 1 thread, deterministic, about 5 min), calibrate it on fold 9, assess
## it on CPSC2018 and LUDB, redraw docs/reliability_bundled.png, rewrite the calibration section of
## docs/RESULTS.md and regenerate resources/models/README.md
BUNDLED_RUN := runs/bundled/ptbxl_superclass_resnet1d18/ptbxl_superclass_resnet1d18
model: $(STAMP)
	nice $(BIN)/python -m training fit --config configs/bundled_ptbxl_superclass.toml
	nice $(BIN)/python -m training calibrate --threads 1 --device cpu --model $(BUNDLED_RUN) \
	  --external cpsc2018=../shared/data/cpsc2018 --external ludb=../shared/data/ludb \
	  --plot docs/reliability_bundled.png --results docs/RESULTS.md
	$(BIN)/python tools/bundle_model.py $(BUNDLED_RUN)

## results: retrain the models of docs/RESULTS.md on the PTB-XL slice and rewrite it (about 20 min on 2 cores)
results: $(STAMP)
	nice $(BIN)/python -m experiments results --out docs/RESULTS.md

## screenshots: save PNGs of the main views on the bundled samples to docs/screenshots/
screenshots: $(STAMP)
	@tools/qt_syslibs.sh offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python tools/screenshots.py

## bundle: build dist/ecgstudio-<version>/ (PyInstaller, one folder), run its smoke, tarball + SBOM + SHA256SUMS
bundle: $(STAMP)
	@tools/qt_syslibs.sh offscreen
	@tools/packaging_tools.sh
	packaging/build.sh

## smoke: every main feature once, end to end, from source (offscreen, 10-30 s)
smoke: $(STAMP)
	@tools/qt_syslibs.sh offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ecgstudio --smoke

## deb: dist/ecgstudio_<version>_amd64.deb from the bundle (built first when dist/ has none for this version)
deb: $(STAMP)
	@test -x dist/ecgstudio-$$($(BIN)/python -c 'from training.version import __version__; print(__version__)')/ecgstudio-bin \
	  || $(MAKE) bundle
	@tools/packaging_tools.sh
	packaging/deb.sh

## wheel: dist/ecgstudio-<version>-py3-none-any.whl, the Python route for systems older than the bundle's glibc
wheel: $(STAMP)
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation -q -w dist .

## audit: pip-audit of the pinned runtime dependencies; says CHECKED, VULNERABLE or NOT CHECKED (no network) and
## writes it to dist/pip-audit.status.txt (exit 0 / 1 / 3). AUDIT_SERVICE=osv asks OSV instead of PyPI.
AUDIT_SERVICE ?= pypi
audit: $(STAMP)
	@mkdir -p dist
	$(BIN)/python packaging/inventory.py audit dist/pip-audit.json --service $(AUDIT_SERVICE)

## test-packaging: check the bundle's exclusions against a traced run of the suite, build the bundle and the
## .deb, check them, install/upgrade/remove the .deb, check the wheel
## (not part of `make test`; root for the .deb lifecycle; see packaging/README.md)
test-packaging: $(STAMP)
	@tools/qt_syslibs.sh offscreen
	@tools/packaging_tools.sh
	@tools/postgres_for_tests.sh
	$(BIN)/python packaging/trace_runtime.py -q
	ECGSTUDIO_PACKAGING=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/test_packaging.py -v

clean-cache:
	rm -rf "$$($(BIN)/python -c 'from training.user_dirs import cache_dir; print(cache_dir())')"
