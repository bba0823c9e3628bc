"""Deprecated alias of :mod:`critmin.market.v2.chunks` (v2's sweep chunks moved into the v2
package; the sweep is critmin.simulate.runner.sweep): the same module object, so its
names and monkeypatches are shared."""

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from critmin.market.v2.chunks import *  # noqa: F403
else:
    from critmin.market.v2 import chunks as _target

    sys.modules[__name__] = _target
