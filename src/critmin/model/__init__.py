"""The supply network model."""

from critmin.model.network import Network, load

__all__ = ["Network", "load"]
