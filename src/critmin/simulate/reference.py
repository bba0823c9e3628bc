"""Plain per-sample reference: the same model run one sample at a time.

Used by the benchmark to measure the speed-up of the vectorised engine, and by the tests
to check that vectorisation changes nothing.
"""

from __future__ import annotations

import numpy as np

from critmin.simulate.engine import Outputs, run


def run_per_sample(compiled, baseline, draws: dict, responses: bool = True) -> Outputs:
    """Loop over samples, calling the model on each alone; stacks the outputs."""
    n = draws["tau"].shape[0]
    outs = [run(compiled, baseline, {k: v[i:i + 1] for k, v in draws.items()},
                responses=responses) for i in range(n)]
    fields = ("peak_ratio", "peak_price_x", "shortfall", "peak_shortfall", "min_cover_days",
              "value_at_risk_usd", "fiscal_cost_usd", "rrg_fired", "balance_error")
    return Outputs(**{f: np.concatenate([getattr(o, f) for o in outs]) for f in fields},
                   paths={})
