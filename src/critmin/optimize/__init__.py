"""Projects, financing instruments and the portfolio optimiser."""
