"""History matching of model v2: deterministic fits, implausibility, index-stored fits."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from critmin.calibrate import history
from critmin.calibrate.posterior import bank_draws, dumps_meta, fit_draws, write_index_fits

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


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=20)


@given(json_values)
def test_meta_text_reads_back_unchanged(value):
    assert json.loads(dumps_meta({"v2": value})) == {"v2": value}


def test_meta_keeps_a_fits_draw_indices_on_one_line(tmp_path):
    fit = dict(draw_index=list(range(0, 5000, 3)), seed=0,
               observations=[["e", "sb", "price_ex_china", "WORLD", "2025-01-15"]] * 3,
               prior_rows=[dict(name="leakage", dist="uniform", low=0.0, high=0.4)])
    write_index_fits({"all": fit, "loo:e": fit}, "v2", tmp_path)
    text = (tmp_path / "posterior_meta.json").read_text()
    assert json.loads(text)["v2"]["all"] == fit
    assert len(text.splitlines()) < 40  # 1,667 indices per fit, one line each
    assert '"draw_index": [0,3,6,' in text


def test_a_fit_keeps_the_best_share_where_few_draws_pass_the_chi_square_bound():
    rows = pd.DataFrame({"variable": ["price_ex_china"] * 2, "observed": [2.0, 2.0],
                         "episode": ["e", "f"]})
    rng = np.random.default_rng(0)
    # every draw misses both observations by 3-6 discrepancies: none passes the bound
    values = np.log(2.0) + 0.5 * rng.uniform(3, 6, (400, 2))
    use = np.ones(2, dtype=bool)
    i2, bound, tol = history.tolerance(values, rows, use)
    assert (i2 > bound).all() and tol > bound
    keep = history.kept(values, rows, use)
    assert keep.sum() == int(np.ceil(history.MIN_KEPT * 400))
    assert i2[keep].max() <= i2[~keep].min()  # the best ones
    # where enough draws pass, the chi-square bound decides alone
    near = np.log(2.0) + 0.5 * rng.uniform(0, 1, (400, 2))
    _, bound, tol = history.tolerance(near, rows, use)
    assert tol == bound and history.kept(near, rows, use).all()
