"""Exceptions raised by pyfacelm.

Both are defined by the compiled core so that C++ and Python raise the same classes.
"""

from ._clnf import ModelFormatError, ModelNotFoundError

__all__ = ["ModelFormatError", "ModelNotFoundError"]
