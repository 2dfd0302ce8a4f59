"""Packaging facts: the cibuildwheel matrix and the files a wheel must carry."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import REPO

import pyfacelm

EXPECTED = {
    "linux": [
        f"cp3{v}-{k}_{a}"
        for a, k in [("x86_64", "manylinux"), ("aarch64", "manylinux"), ("x86_64", "musllinux")]
        for v in range(9, 14)
    ],
    "macos": [f"cp3{v}-macosx_{a}" for v in range(9, 14) for a in ("x86_64", "arm64")],
    "windows": [f"cp3{v}-win_amd64" for v in range(9, 14)],
}


@pytest.mark.parametrize("platform", sorted(EXPECTED))
def test_cibuildwheel_identifiers(platform):
    if shutil.which("cibuildwheel") is None:
        pytest.skip("cibuildwheel not installed (pip install cibuildwheel)")
    r = subprocess.run(
        ["cibuildwheel", "--platform", platform, "--print-build-identifiers"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == sorted(EXPECTED[platform])


def test_typed_package_files_are_installed():
    from importlib import resources

    pkg = resources.files("pyfacelm")
    for name in ("py.typed", "_clnf.pyi", "data/models.json"):
        assert pkg.joinpath(name).is_file(), name


def test_public_api_is_documented():
    for name in pyfacelm.__all__:
        obj = getattr(pyfacelm, name)
        if callable(obj) and not name.startswith("_"):
            assert (obj.__doc__ or "").strip(), name


def test_version_matches_metadata():
    from importlib.metadata import version

    assert version("pyfacelm") == pyfacelm.__version__
