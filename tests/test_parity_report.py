"""The README's parity tables are exactly what benchmarks/parity_report.py prints now."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import REPO, import_or_missing, missing

import_or_missing("cv2", "opencv-python-headless (test extra) decodes the samples")

REFERENCES = [
    "images_clnf.json",
    "images_clm.json",
    "images_ceclm_synth.json",
    "images_ceclm_synth_multiview.json",
    "images_ceclm_synth_et100.json",
    "images_ceclm_synth_et100_multiview.json",
    "frames_md5.json",
]


def readme_parity_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Parity with OpenFace")
    end = text.index("\n## ", start + 1)
    return text[start:end]


@pytest.mark.slow  # reruns every parity measurement the tables show (CI runs it: --all)
def test_readme_parity_tables_are_what_parity_report_prints(
    model_dir, reference, samples_dir, monkeypatch
):
    for name in REFERENCES:
        reference(name)  # present, or skip/fail
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location(
        "parity_report", REPO / "benchmarks" / "parity_report.py"
    )
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "parity_report", report)
    spec.loader.exec_module(report)
    try:
        measured = report.measure(model_dir)
    except FileNotFoundError as e:  # the synthetic CEN files
        missing(str(e))
    tables = report.render(measured)
    assert tables in readme_parity_section(), (
        "README.md's parity tables differ from `python benchmarks/parity_report.py`:\n" + tables
    )
