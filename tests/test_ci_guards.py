"""CI cannot pass on skips: PYFACELM_REQUIRE_REFERENCE=1 turns missing test data and any skip
in a parity file into failures (tests/conftest.py), and .ci/run sets it and reports counts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PARITY_LIKE = """
import pytest

def test_needs_the_reference(reference):
    reference("images_clnf.json")

def test_needs_the_models(model_dir):
    pass

def test_needs_the_samples(samples_dir):
    pass

def test_skips_by_itself():
    pytest.skip("some other reason")
"""


def run_pytest(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PYFACELM_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(folder), "-q", "-rs", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        env=full,
        cwd=folder,
    )


def make_suite(tmp_path: Path, file_name: str) -> Path:
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(REPO / "tests" / "conftest.py", suite / "conftest.py")
    (suite / file_name).write_text(PARITY_LIKE)
    return suite


def test_missing_data_skips_without_the_variable(tmp_path):
    suite = make_suite(tmp_path, "test_fit.py")
    r = run_pytest(
        suite,
        PYFACELM_SHARED_DIR=str(tmp_path / "nothing"),
        PYFACELM_MODEL_DIR=str(tmp_path / "no_models"),
    )
    assert r.returncode == 0 and "4 skipped" in r.stdout, r.stdout + r.stderr


def test_missing_data_and_parity_skips_fail_with_the_variable(tmp_path):
    suite = make_suite(tmp_path, "test_fit.py")
    r = run_pytest(
        suite,
        PYFACELM_SHARED_DIR=str(tmp_path / "nothing"),
        PYFACELM_MODEL_DIR=str(tmp_path / "no_models"),
        PYFACELM_REQUIRE_REFERENCE="1",
    )
    out = r.stdout + r.stderr
    # Fixtures fail as errors, the test body's reference() call and the skip as failures.
    assert r.returncode == 1 and "2 failed, 2 errors" in r.stdout, out
    assert "images_clnf.json not available" in out and "no_models" in out
    assert "parity test skipped with PYFACELM_REQUIRE_REFERENCE=1: Skipped: some other" in out


def test_other_files_may_still_skip_for_other_reasons(tmp_path, model_dir):
    # Outside the parity files only missing test data is an error.
    suite = make_suite(tmp_path, "test_other.py")
    shared = Path(os.environ.get("PYFACELM_SHARED_DIR", REPO.parent / "shared"))
    r = run_pytest(
        suite,
        PYFACELM_SHARED_DIR=str(shared),
        PYFACELM_MODEL_DIR=str(model_dir),
        PYFACELM_REQUIRE_REFERENCE="1",
    )
    assert r.returncode == 0 and "3 passed, 1 skipped" in r.stdout, r.stdout + r.stderr


def test_an_incomplete_model_folder_fails_with_the_variable(tmp_path, model_dir):
    models = tmp_path / "models"
    shutil.copytree(model_dir, models)
    (models / "model_inner" / "patch_experts" / "ccnf_patches_1.00_inner.txt").unlink()
    suite = make_suite(tmp_path, "test_fit.py")
    r = run_pytest(suite, PYFACELM_MODEL_DIR=str(models), PYFACELM_REQUIRE_REFERENCE="1")
    assert "incomplete or corrupt" in r.stdout and "ccnf_patches_1.00_inner.txt" in r.stdout, (
        r.stdout
    )


def test_ci_script_requires_the_reference_and_reports_counts(tmp_path):
    script = (REPO / ".ci" / "run").read_text()
    assert "export PYFACELM_REQUIRE_REFERENCE=1" in script
    assert script.count("--junitxml=") == 2 and ".ci/test_summary.py" in script
    xml = tmp_path / "r.xml"
    xml.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_a" name="test_1"/>'
        '<testcase classname="tests.test_a" name="test_2"><failure message="x"/></testcase>'
        '<testcase classname="tests.test_b" name="test_3"><skipped message="why"/></testcase>'
        "</testsuite></testsuites>"
    )
    r = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "test_summary.py"), str(xml)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0
    assert "2 tests ran (1 passed, 1 failed), 1 skipped" in r.stdout
    assert "skipped tests.test_b::test_3: why" in r.stdout
