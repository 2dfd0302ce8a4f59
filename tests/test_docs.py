"""What the README and the docstrings promise a newcomer: commands that work as written, no
references to files that are not shipped, and a default test run that stays fast."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pyfacelm

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert m, f"README has no section {title!r}"
    return m.group(1)


def test_parity_and_performance_sections_are_reproducible_from_a_checkout():
    for title in ("Parity with OpenFace", "Performance"):
        body = section(title)
        assert "../shared" not in body and "this 2-core machine" not in body, title
        assert "python benchmarks/" in body or "pytest" in body, title  # the reproducing command
    assert "single thread" in section("Performance").lower()


def test_readme_test_command_does_not_rebuild():
    body = section("Tests")
    commands = re.findall(r"```bash\n(.*?)```", body, re.S)
    assert commands
    for c in commands:
        assert not re.search(r"pip install [\"']?\.", c), c  # installing "." builds the extension
    assert "--all" in body


def test_readme_is_honest_about_wheels():
    body = section("Install (from source)")
    assert "tools/build_wheel.sh" in body
    assert "not yet published" in body or "not published yet" in body


def _public_docstrings() -> list[tuple[str, str]]:
    found = []
    names = [m.name for m in pkgutil.iter_modules(pyfacelm.__path__)]
    for mod_name in ["pyfacelm", *(f"pyfacelm.{n}" for n in names if n != "__main__")]:
        mod = importlib.import_module(mod_name)
        found.append((mod_name, mod.__doc__ or ""))
        for attr, obj in vars(mod).items():
            if getattr(obj, "__module__", mod_name) not in (mod_name, "pyfacelm._clnf"):
                continue
            found.append((f"{mod_name}.{attr}", getattr(obj, "__doc__", None) or ""))
            if inspect.isclass(obj):
                for meth, fn in vars(obj).items():
                    found.append((f"{mod_name}.{attr}.{meth}", getattr(fn, "__doc__", None) or ""))
    return found


def test_docstrings_do_not_cite_the_unshipped_spec():
    docs = _public_docstrings()
    assert len(docs) > 50
    cited = [name for name, doc in docs if "SPEC" in doc]
    assert cited == []


def _collect(*extra: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["tests/test_long_runs.py", "tests/test_wheel.py", *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert r.returncode in (0, 5), r.stdout + r.stderr  # 5: nothing selected
    return r.stdout


@pytest.mark.skipif(not (REPO / "tests" / "test_long_runs.py").is_file(), reason="no source tree")
def test_default_run_leaves_out_slow_and_wheel_tests():
    default = _collect()
    assert "test_long_runs.py::" not in default and "test_wheel.py::" not in default
    assert "deselected" in default
    everything = _collect("--all")
    assert "test_long_runs.py::" in everything and "test_wheel.py::" in everything
