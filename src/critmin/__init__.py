"""critmin: critical-minerals and rare-earth supply security.

>>> import critmin
>>> net = critmin.load()            # shipped, sourced data
>>> net.production.head()
"""

from critmin._version import __version__
from critmin.data.validate import DataValidationError, Problem
from critmin.model.network import Network, load

__all__ = ["DataValidationError", "Network", "Problem", "__version__", "load"]
