"""Which compiled kernel the CNNs (MTCNN and the detection validator) use."""

from __future__ import annotations

from . import _clnf

__all__ = ["SIMD_ENV_VAR", "simd"]

#: Environment variable read when a model loads: ``baseline`` forces the portable kernel (the one
#: ARM and older x86 CPUs run), ``avx2`` insists on the AVX2 + FMA one, ``auto`` (or unset) picks.
SIMD_ENV_VAR = "PYFACELM_SIMD"


def simd() -> str:
    """The convolution kernel a model loaded now uses: ``"avx2"`` or ``"baseline"``.

    The choice is made when a detector (its validator) or the MTCNN face detector loads, from
    the CPU's features and ``$PYFACELM_SIMD``; a loaded model keeps its kernel. Both kernels
    give the same results within the parity tolerances (``tests/test_simd.py``).

    Raises:
        ValueError: ``$PYFACELM_SIMD`` is not ``baseline``, ``avx2`` or ``auto``, or asks for
            AVX2 on a CPU without it.
    """
    return _clnf.simd_kernel()
