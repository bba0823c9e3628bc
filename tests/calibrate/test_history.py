"""History matching of model v2: deterministic fits, implausibility, index-stored fits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.calibrate import history
from critmin.calibrate.posterior import bank_draws, fit_draws, write_index_fits

EPISODES = ["CN_2024_Sb_licence", "COD_2025_cobalt_ban"]


def test_same_seed_same_posterior_and_index_fits_round_trip(net, tmp_path):
    a = history.history_match(net, samples=64, seed=3, episodes=EPISODES)
    b = history.history_match(net, samples=64, seed=3, episodes=EPISODES)
    assert set(a) == {"all", *(f"loo:{e}" for e in EPISODES), "_scores"}
    for fit in ("all", *(f"loo:{e}" for e in EPISODES)):
        assert a[fit]["draw_index"] == b[fit]["draw_index"]
        assert a[fit]["effective_sample_size"] == len(a[fit]["draw_index"])
        assert set(a[fit]["contraction"]) >= {"licence_persistence", "leakage"}
    # a leave-one-out fit uses fewer observations, so it keeps at least as many draws
    # as the joint chi-square test allows for them; the scores cover every observation
    assert len(a["loo:CN_2024_Sb_licence"]["observations"]) < len(a["all"]["observations"])
    assert len(a["_scores"]) == len(a["all"]["observations"])
    scores = a.pop("_scores")
    assert scores["crps_priors"].notna().all()
    write_index_fits(a, "v2", tmp_path)
    got = fit_draws("v2", "all", tmp_path)
    if a["all"]["draw_index"]:
        wide, w = got
        table = pd.DataFrame(a["all"]["prior_rows"])
        bank = bank_draws(table, 3, 64).iloc[a["all"]["draw_index"]].reset_index(drop=True)
        assert np.array_equal(wide[bank.columns].to_numpy(), bank.to_numpy())
        assert np.isclose(w.sum(), 1) and (wide["noise_price"] == 0.5).all()


def test_implausibility_keeps_the_truth_and_drops_what_is_far():
    rows = pd.DataFrame({"variable": ["price_ex_china", "exports_china"],
                         "observed": [2.0, 0.1], "episode": ["e", "e"]})
    truth = np.log([[2.0, 0.1]])
    far = np.log([[2.0 * np.exp(5 * 0.5), 0.1]])
    near = np.log([[2.0 * np.exp(0.5), 0.1 * np.exp(-1.0)]])
    use = np.ones(2, dtype=bool)
    assert history.kept(np.vstack([truth, near, far]), rows, use).tolist() == [
        True, True, False]
    # without the far observation's target the far draw is not implausible
    assert history.kept(far, rows, np.array([False, True])).tolist() == [True]
