"""Calibration reproduces the observed episodes and matches the shipped parameters."""

from __future__ import annotations

import pytest

from critmin.market.calibration import calibrate


def test_calibration_fits_observed_episodes_and_shipped_values(net):
    rows = {r["commodity"]: r for r in calibrate(net)}
    shipped = net.parameters.set_index(["scope", "parameter"])["value"]
    for commodity, r in rows.items():
        assert r["fitted_model_ex_china"] == pytest.approx(r["observed_ex_china"], abs=1e-4)
        assert shipped[(commodity, "sr_elasticity_scale")] == pytest.approx(
            r["sr_elasticity_scale"], rel=0.01)
    sb = rows["antimony"]
    assert sb["fitted_model_china"] == pytest.approx(sb["observed_china"], abs=1e-4)
    # the uncalibrated priors overshoot both episodes
    assert sb["prior_model_ex_china"] > sb["observed_ex_china"]
    assert rows["cobalt"]["prior_model_ex_china"] > rows["cobalt"]["observed_ex_china"]
