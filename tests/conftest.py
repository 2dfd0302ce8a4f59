"""Shared fixtures: where the models, samples and reference outputs are.

Tests that need OpenFace's model files or the reference outputs skip with a reason when they
are absent; everything else runs anywhere. With ``PYFACELM_REQUIRE_REFERENCE=1`` (what
``.ci/run`` sets) a missing or incomplete model folder, reference output or sample is an error
instead, and so is any skip in the parity test files: CI cannot pass on skipped comparisons.
"""

from __future__ import annotations

import importlib
import json
import os
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import NoReturn

import numpy as np
import pytest

import pyfacelm
from pyfacelm.video import require_cv2

try:
    # Before any test opens a video with OpenCV directly: FFmpeg reads its log level once, when
    # first used, so the order of the tests must not decide whether pyfacelm's quiet setting holds.
    require_cv2()
except ImportError:
    pass

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PYFACELM_SHARED_DIR", REPO.parent / "shared"))
REFERENCE = SHARED / "reference"
SAMPLES = SHARED / "openface" / "samples"

REQUIRE_ENV = "PYFACELM_REQUIRE_REFERENCE"
REQUIRE = os.environ.get(REQUIRE_ENV) == "1"
# The files that compare with the original OpenFace: with REQUIRE, none of their tests may skip.
PARITY_FILES = frozenset(
    {
        "test_fit.py",
        "test_detect.py",
        "test_video.py",
        "test_simd.py",
        "test_parity_report.py",
        "test_divergent.py",
        "test_gaze.py",
        "test_parameters.py",
        "test_action_units.py",
        "test_action_units_e2e.py",
    }
)
# The model sets the suite fits with (ceclm's CEN files are not distributed with OpenFace's
# repository; the CE-CLM tests use synthetic ones).
REQUIRED_SETS = ("clnf", "clnf_wild", "clm", "clm_wild", "mtcnn", "validator", "eyes", "inner")

# Slow tests (long fuzz runs, memory growth) and wheel tests (build, repair and install a wheel)
# take minutes: the default `pytest tests` leaves them out, `--all` (what .ci/run passes) runs them
# and gives the fuzz tests their full number of cases (see fuzz_cases).
OPT_IN_MARKS = ("slow", "wheel")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all",
        action="store_true",
        default=False,
        help="also run the slow and wheel-building tests (left out by default)",
    )


_RUN_ALL = False


def pytest_configure(config: pytest.Config) -> None:
    global _RUN_ALL
    _RUN_ALL = bool(config.getoption("--all"))


def fuzz_cases(env_var: str, full: int, quick: int) -> int:
    """How many fuzz cases to run: ``$env_var`` if set, else `full` with --all (CI) and
    `quick` in the default run (the same harness and checks, fewer random inputs)."""
    return int(os.environ.get(env_var) or (full if _RUN_ALL else quick))


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("--all"):
        return "all tests selected (--all)"
    return "slow and wheel tests left out, fuzz tests shortened: pass --all for all (CI does)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--all"):
        return
    keep, drop = [], []
    for item in items:
        (drop if any(item.get_closest_marker(m) for m in OPT_IN_MARKS) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def missing(reason: str) -> NoReturn:
    """Skip because test data is absent - or, with PYFACELM_REQUIRE_REFERENCE=1, fail."""
    if REQUIRE:
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: missing test data is an error)", pytrace=False)
    pytest.skip(reason)


def import_or_missing(name: str, reason: str) -> ModuleType:
    """pytest.importorskip, except that with PYFACELM_REQUIRE_REFERENCE=1 the import must work."""
    if REQUIRE:
        return importlib.import_module(name)
    return pytest.importorskip(name, reason=reason)


@pytest.fixture(scope="session")
def model_dir() -> Path:
    try:
        d = pyfacelm.find_model_dir()
    except pyfacelm.ModelNotFoundError as e:
        missing(
            "OpenFace model files not found: set PYFACELM_MODEL_DIR to an OpenFace model folder "
            f"(CI uses ../shared/openface/model): {e}"
        )
    if REQUIRE:
        report = pyfacelm.verify(d)
        bad = {s: report.missing_for(s) for s in REQUIRED_SETS if not report.sets[s]}
        if bad:
            missing(f"model folder {d} is incomplete or corrupt: {bad}")
    return d


@cache
def _load_reference(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


@pytest.fixture(scope="session")
def reference():
    """reference('images_clnf.json') -> parsed JSON, or skip when the reference folder is absent."""

    def get(name: str) -> dict:
        if not (REFERENCE / name).is_file():
            missing(f"reference output {REFERENCE / name} not available")
        return _load_reference(name)

    return get


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not SAMPLES.is_dir():
        missing(f"OpenFace sample images not available at {SAMPLES}")
    return SAMPLES


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With PYFACELM_REQUIRE_REFERENCE=1, a skipped test of a parity file is a failure,
    whatever skipped it (a fixture, importorskip, a skip marker)."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE and report.skipped and item.path.name in PARITY_FILES:
        if hasattr(report, "wasxfail"):
            return
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"parity test skipped with {REQUIRE_ENV}=1: {reason}"


def write_text_matrix(fh, m: np.ndarray, type_code: int = 6) -> None:
    m = np.atleast_2d(m)
    fh.write(f"{m.shape[0]}\n{m.shape[1]}\n{type_code}\n")
    for row in m:
        fh.write(" ".join(repr(float(v)) if type_code != 4 else str(int(v)) for v in row) + "\n")


def make_synthetic_pdm(path: Path, n_points: int = 20, n_modes: int = 6, seed: int = 0) -> Path:
    """A random but well-formed PDM file (face-sized mean, orthonormal basis)."""
    rng = np.random.default_rng(seed)
    mean = np.concatenate(
        [
            rng.uniform(-70, 70, n_points),
            rng.uniform(-65, 75, n_points),
            rng.uniform(-35, 45, n_points),
        ]
    )
    basis, _ = np.linalg.qr(rng.normal(size=(3 * n_points, n_modes)))
    eig = np.sort(rng.uniform(0.5, 800, n_modes))[::-1]
    with open(path, "w") as fh:
        fh.write("# The mean values of the components (in mm)\n")
        write_text_matrix(fh, mean[:, None])
        fh.write("# The principal components (eigenvectors)\n")
        write_text_matrix(fh, basis)
        fh.write("# The variances of the components (eigenvalues)\n")
        write_text_matrix(fh, eig[None, :])
    return path


@pytest.fixture()
def synthetic_pdm_path(tmp_path: Path) -> Path:
    return make_synthetic_pdm(tmp_path / "pdm_synthetic.txt")
