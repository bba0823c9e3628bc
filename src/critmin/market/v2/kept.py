"""What a v2 run keeps beyond its per-sample table (a module of constants only, so that
readers of stored runs need not load the kernels)."""

MONTHLY_SAMPLES = 512
"""Samples whose monthly paths a run keeps (its first ones; all in the first chunk, whose
size is at least a block of 1,024): the brief's fans and its portfolio's scenarios."""
