"""Deprecated alias of :mod:`critmin.market.v1.compile` (v1's scenario compiler moved into
the v1 package): the same module object, so its names and monkeypatches are shared."""

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from critmin.market.v1.compile import *  # noqa: F403
else:
    from critmin.market.v1 import compile as _target

    sys.modules[__name__] = _target
