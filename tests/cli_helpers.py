"""Running the installed ``pyfacelm`` console script in a subprocess, as a user would."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def pyfacelm_script() -> str:
    """The console script installed next to this interpreter (the real entry point)."""
    exe = Path(sys.executable).with_name("pyfacelm")
    if exe.is_file():
        return str(exe)
    found = shutil.which("pyfacelm")
    if found is None:
        pytest.skip("the pyfacelm console script is not installed")
    return found


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    input: str | None = None,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [pyfacelm_script(), *args],
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        timeout=timeout,
        input=input,
        cwd=cwd,
    )


def no_models_env(tmp_path: Path) -> dict[str, str]:
    """An environment in which no model folder can be found (fresh machine, empty cache)."""
    env = dict(os.environ)
    env.pop("PYFACELM_MODEL_DIR", None)
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def read_csv(path: Path | str, sep: str = ",") -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as fh:
        text = fh.read()
    if sep != ",":
        text = text.replace(sep, ",")
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]
