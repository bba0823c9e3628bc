"""critmin's version, in a module that imports nothing (the results store records it with
every run without importing the package's data layer)."""

__version__ = "0.1.0"
