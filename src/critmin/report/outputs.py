"""Deprecated alias: the run's outputs moved to :mod:`critmin.simulate.outputs` (the
report renders them; the sweep's summary builds them)."""

from critmin.simulate.outputs import (
    MONTHLY_SAMPLES,
    REGIONS,
    STEP_MONTHS,
    long_paths,
    month_dates,
    monthly_paths,
    path_dates,
    path_step,
    region_results,
    run_model,
    stage_results,
    v2_keys,
)

__all__ = ["MONTHLY_SAMPLES", "REGIONS", "STEP_MONTHS", "long_paths", "month_dates",
           "monthly_paths", "path_dates", "path_step", "region_results", "run_model",
           "stage_results", "v2_keys"]
