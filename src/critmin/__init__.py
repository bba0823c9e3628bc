"""critmin: critical-minerals and rare-earth supply security.

>>> import critmin
>>> net = critmin.load()            # shipped, sourced data
>>> net.production.head()
"""

# first: Numba's cache directory, keyed to the model version, before anything imports Numba
from critmin.market.numba_cache import configure as _configure_numba_cache

_configure_numba_cache()

from critmin._version import __version__  # noqa: E402
from critmin.data.validate import DataValidationError, Problem  # noqa: E402
from critmin.model.network import Network, load  # noqa: E402

__all__ = ["DataValidationError", "Network", "Problem", "__version__", "load"]
