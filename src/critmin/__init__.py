"""critmin: critical-minerals and rare-earth supply security.

>>> import critmin
>>> net = critmin.load()            # shipped, sourced data
>>> net.production.head()
"""

from critmin.data.validate import DataValidationError, Problem
from critmin.model.network import Network, load

__version__ = "0.1.0"
__all__ = ["DataValidationError", "Network", "Problem", "__version__", "load"]
