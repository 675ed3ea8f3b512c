# Two commands do all the set-up on a fresh machine (both idempotent: a second run installs nothing):
#   make quickstart   create .venv if missing, install everything, run the embedded-default job
#   make test         same install, then the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Tests run in two pytest-xdist workers: most tests are single-threaded (imports, subprocesses, tiny models), so the
# second core is otherwise idle; an idle worker takes tests queued behind the other's long one (worksteal).
# PYTEST_WORKERS=0 runs them in one process.
PYTEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest tests -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: install quickstart quickstart-report test test-all benchmark smoke clean

install:
	bash tools/install.sh $(VENV)

# Generates the toy world (deterministic, about 10 s), pretrains tiny towers on it at all three granularities
# (image/region/mask-text retrieval on held-out scenes), then trains open-vocabulary panoptic segmentation on the
# frozen towers with the seen classes and evaluates PQ on seen and unseen ones, then zero-shot recognition of images,
# boxes and masks and image-text retrieval with the pretrained towers, then open-vocabulary semantic segmentation
# (mmseg's runner: trained, training-free, and the panoptic checkpoint's semantic output; mIoU seen / unseen) and
# detection (mmdet's runner; box AP50 seen / unseen); about 12 minutes on 2 idle CPU cores.
# The console gets a line per run, mmengine's progress and evaluations, and ends with the tables (also in
# work_dirs/quickstart/results.md, with scene figures); each run's whole output is in its work dir (console.log, and
# mmengine's <timestamp>/<timestamp>.log).
QUICKSTART_STEP = $(PY) tools/analysis/quickstart_report.py --step
quickstart: install
	$(PY) tools/dataset_converters/make_synthetic.py data/synthetic
	@$(QUICKSTART_STEP) tools/train.py configs/quickstart/pretrain_synthetic.py --work-dir work_dirs/quickstart
	@$(QUICKSTART_STEP) tools/train.py configs/quickstart/panoptic_synthetic.py --work-dir work_dirs/quickstart_panoptic
	@$(QUICKSTART_STEP) tools/test.py configs/quickstart/zeroshot_synthetic.py work_dirs/quickstart/iter_600.pth \
		--work-dir work_dirs/quickstart_zeroshot
	@$(QUICKSTART_STEP) tools/test.py configs/quickstart/zeroshot_retrieval_synthetic.py \
		work_dirs/quickstart/iter_600.pth --work-dir work_dirs/quickstart_zeroshot_retrieval
	@$(QUICKSTART_STEP) tools/train.py configs/quickstart/semseg_synthetic.py --work-dir work_dirs/quickstart_semseg
	@$(QUICKSTART_STEP) tools/test.py configs/quickstart/semseg_zeroshot_synthetic.py work_dirs/quickstart/iter_600.pth \
		--work-dir work_dirs/quickstart_semseg_zeroshot
	@$(QUICKSTART_STEP) tools/test.py configs/quickstart/panoptic_semantic_synthetic.py \
		work_dirs/quickstart_panoptic/iter_1000.pth --work-dir work_dirs/quickstart_panoptic_semantic
	@$(QUICKSTART_STEP) tools/train.py configs/quickstart/detection_synthetic.py --work-dir work_dirs/quickstart_detection
	$(PY) tools/analysis/quickstart_report.py

# The README's quickstart tables: the figures of `make quickstart`'s runs beside the ablations, run here when their
# logs are missing (pretraining without the region and mask terms; the panoptic, semantic and detection checkpoints
# with the ensemble off; about 4 more minutes). Every figure is read from a log.
quickstart-report: install
	$(PY) tools/analysis/quickstart_report.py --run-ablations
	$(PY) tools/analysis/compare_region_recognition.py configs/quickstart/zeroshot_synthetic.py \
		work_dirs/quickstart_image_only/iter_600.pth work_dirs/quickstart/iter_600.pth --names image-only all-terms \
		--work-dir work_dirs/quickstart_zeroshot_compare
	$(PY) tools/search/evaluate_search.py data/synthetic/umg/val.jsonl --config configs/quickstart/pretrain_synthetic.py \
		--checkpoints work_dirs/quickstart_image_only/iter_600.pth work_dirs/quickstart/iter_600.pth \
		--names image-only all-terms --proposals given grid panoptic --panoptic-config configs/quickstart/panoptic_synthetic.py \
		--panoptic-checkpoint work_dirs/quickstart_panoptic/iter_1000.pth --work-dir work_dirs/quickstart_search \
		--out work_dirs/quickstart_search/search.json

# The default suite: unit tests and the fast end-to-end ones (slow ones are marked and skipped).
test: install
	$(PYTEST) $(PYTEST_ARGS)

# Everything, the tests marked slow included.
test-all: install
	$(PYTEST) --runslow $(PYTEST_ARGS)

benchmark: install
	$(PY) tools/analysis/benchmark.py

# Every shipped config at its own image sizes on two images per data set written in the official layouts, random
# converted towers: trains 2 iterations and validates, tests each transfer config on the checkpoint it names, and
# prints config, phase, seconds, peak memory and the metric line or the error (docs/smoke.md). Hours on a CPU: run it
# before landing changes to models, configs or data sets; SMOKE_ARGS='--configs ov_semseg/*' runs a part.
SMOKE_ARGS ?=
smoke: install
	$(PY) tools/analysis/smoke_fullsize.py --table-out work_dirs/smoke/table.md $(SMOKE_ARGS)

clean:
	rm -rf work_dirs .pytest_cache
