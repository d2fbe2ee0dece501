"""Type aliases of veob's public signatures.

Modules import them under ``if TYPE_CHECKING:`` only, so importing veob never imports this module
(nor ``numpy.typing``).
"""

from __future__ import annotations

import os
from typing import TypeAlias, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["ArrayLike", "DTypeLike", "PathLike", "RandomStateLike"]

#: a seed, a legacy ``RandomState`` or a ``Generator`` (see ``check_random_state``)
RandomStateLike: TypeAlias = Union[int, np.integer, np.random.RandomState, np.random.Generator, None]
#: a file or folder name
PathLike: TypeAlias = Union[str, "os.PathLike[str]"]
