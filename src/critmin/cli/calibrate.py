"""``critmin calibrate``, ``critmin backtest`` and ``critmin sensitivity``: fit the latent
inputs to the training episodes, score the fits, rank the inputs that drive results."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from critmin.cli.common import (
    DataPath,
    Model,
    check_model,
    console,
    load_net,
    load_scenario,
    records,
)
from critmin.market.registry import DEFAULT_MODEL

PosteriorDir = Annotated[Path | None, typer.Option(
    "--posterior", help="directory of posterior.csv/posterior_meta.json (default: shipped)")]


def _say(message: str) -> None:
    """One unwrapped line on stderr."""
    typer.echo(message, err=True)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [v.strip() for x in values for v in x.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    """Add ``calibrate``, ``backtest`` and ``sensitivity`` to the main command line."""
    app.command("calibrate")(calibrate_cmd)
    app.command("backtest")(backtest_cmd)
    app.command("sensitivity")(sensitivity_cmd)


@contextlib.contextmanager
def _posterior_env(directory: Path | None):
    """Read and write the posterior in ``directory`` for this command only: the previous
    setting comes back when the command ends (an in-process caller keeps its own)."""
    import os

    from critmin.calibrate.posterior import ENV

    before = os.environ.get(ENV)
    if directory is not None:
        os.environ[ENV] = str(directory)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before


def calibrate_cmd(
    episodes: Annotated[list[str] | None, typer.Option(
        "--episodes", help="training episode ids (repeat or comma-separate); default all")]
        = None,
    samples: Annotated[int, typer.Option(min=10, help="ABC population size (particles)")]
        = 400,
    generations: Annotated[int, typer.Option(min=1, help="most ABC-SMC generations")] = 8,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address: simulate each batch of particles on its workers")]
        = None,
    workers: Annotated[int, typer.Option(min=1, help="local worker processes")] = 1,
    model: Model = DEFAULT_MODEL,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same posterior)")] = 0,
    loo: Annotated[bool, typer.Option(
        "--loo", help="also fit leave-one-episode-out posteriors (for backtest)")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", help="directory for posterior.csv/posterior_meta.json (default: "
                         "shipped data)")] = None,
    method: Annotated[str, typer.Option(
        help="abc (ABC-SMC), history (v2: history matching of a prior bank of --samples "
             "draws) or hierarchical (v2: tempered SMC of the pooled inputs with the "
             "explicit likelihood, --samples particles per fit); history and "
             "hierarchical always write the LOO fits")] = "abc",
    moves: Annotated[int, typer.Option(
        min=1, help="hierarchical: Metropolis moves per temperature")] = 8,
    max_moves: Annotated[int, typer.Option(
        "--max-moves", min=1, help="hierarchical: most Metropolis moves per temperature "
                                   "(more than --moves where acceptance is low)")] = 12,
    loo_samples: Annotated[int | None, typer.Option(
        "--loo-samples", min=10,
        help="hierarchical: particles per leave-one-out fit (default --samples)")] = None,
    power: Annotated[str, typer.Option(
        "--power", help="hierarchical: power of the likelihood (a tempered posterior, "
                        "prior x L^power): auto (the share of effective observations, "
                        "(1 - rho) / (1 + rho), rho the residuals' lag-1 autocorrelation "
                        "within a series measured on the fit's own training "
                        "observations), 1, or a number in (0, 1]")] = "auto",
    as_json: Annotated[bool, typer.Option(
        "--json", help="hierarchical: print each fit's effective sample size, "
                       "contraction table and predictive check as JSON")] = False,
    data: DataPath = None,
) -> None:
    """Joint calibration of the latent inputs over the training episodes (ABC-SMC, or
    history matching for v2); writes the posterior and its provenance into the shipped
    data."""
    from critmin.calibrate.abc import calibrate
    from critmin.calibrate.episodes import EpisodeError, check_not_reserved, load_targets
    from critmin.calibrate.posterior import posterior_dir, write_fits
    from critmin.simulate.runner import close_executor, make_executor

    check_model(model, "calibrate")
    wanted = _split(episodes)
    try:
        check_not_reserved(wanted or [])
    except EpisodeError as exc:
        _say(f"calibrate: {exc}")
        raise typer.Exit(2) from exc
    net = load_net(data)
    try:
        targets = load_targets(net, wanted)
    except (EpisodeError, ValueError) as exc:
        _say(f"calibrate: {exc}")
        raise typer.Exit(2) from exc
    if method not in ("abc", "history", "hierarchical") or (
            method != "abc" and model != "v2"):
        _say(f"calibrate: --method {method!r} with --model {model}: choose abc, or history "
             "or hierarchical with v2")
        raise typer.Exit(2)
    if method == "hierarchical":
        try:
            ok = power in ("1", "auto") or 0 < float(power) <= 1
        except ValueError:
            ok = False
        if not ok:
            _say(f"calibrate: --power {power!r}: choose auto, 1 or a number in (0, 1]")
            raise typer.Exit(2)
        _hierarchical(net, wanted, samples, loo_samples or samples, moves, max_moves,
                      seed, output, as_json, power)
        return
    if method == "history":
        _history(net, wanted, samples, seed, output)
        return
    fits = {"all": None}
    if loo:
        scored = sorted(set(targets.rows["episode"]))
        fits.update({f"loo:{e}": e for e in scored if len(scored) > 1})
        if len(scored) < 2:
            _say("calibrate: --loo needs at least two episodes with observations")
    executor = make_executor(scheduler, workers) if (scheduler or workers > 1) else None
    done = {}
    try:
        for fit, held_out in fits.items():
            _say(f"calibrate {model} {fit}: {samples} particles, up to {generations} "
                      "generations")
            draws, w, prov = calibrate(
                net, episodes=wanted, model=model, population=samples,
                generations=generations, seed=seed, executor=executor,
                data=None if data is None else str(data), fit=fit, exclude=held_out)
            done[fit] = (draws, w, prov)
    except ValueError as exc:
        _say(f"calibrate: {exc}")
        raise typer.Exit(2) from exc
    finally:
        close_executor(executor)
    write_fits(done, model, output)
    where = output or posterior_dir()
    for fit, (draws, _w, prov) in done.items():
        s = prov["settings"]
        console.print(f"{model} {fit}: {len(draws)} draws, {s['generations_run']} "
                      f"generations, final temperature {s['temperatures'][-1]:.3g}, "
                      f"{s['simulations']:,} simulations; episodes "
                      f"{', '.join(prov['episodes'])}")
    console.print(f"posterior written to {where}/posterior.csv (+ posterior_meta.json)")


def backtest_cmd(
    episode: Annotated[list[str] | None, typer.Option(
        "--episode", help="episode id (repeat for several); default all training episodes")]
        = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    html: Annotated[Path | None, typer.Option(
        "--html", help="write one Plotly figure per episode to this HTML file")] = None,
    model: Model = DEFAULT_MODEL,
    samples: Annotated[int, typer.Option(min=10, help="Monte Carlo samples per run")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    posterior: PosteriorDir = None,
    data: DataPath = None,
) -> None:
    """Model P5/P25/P50/P75/P95 beside every observed value of the training episodes;
    CRPS, CRPS skill against "no change" and a random walk, sharpness and 50/80/90 %
    coverage per episode, horizon band and observable kind, for the v1 priors, the
    model's priors, its posterior and its leave-one-episode-out fits."""
    check_model(model, "backtest")
    with _posterior_env(posterior):
        _backtest(episode, as_json, html, model, samples, seed, data)


def _backtest(episode, as_json, html, model, samples, seed, data) -> None:
    from critmin.calibrate.backtest import (
        default_rule,
        default_variant,
        figures,
        run_backtest,
        score_figures,
        summary,
    )
    from critmin.calibrate.episodes import EpisodeError

    net = load_net(data)
    try:
        rows, fan = run_backtest(net, episodes=_split(episode), model=model,
                                 samples=samples, seed=seed, fans=html is not None)
    except (EpisodeError, ValueError) as exc:
        _say(f"backtest: {exc}")
        raise typer.Exit(2) from exc
    table = summary(rows)
    if html is not None:
        from critmin.report.figures import write_html

        write_html(score_figures(table) + figures(fan, rows), html, "critmin backtest")
    if as_json:
        from critmin.market.registry import model_version
        from critmin.store.version import data_version

        typer.echo(json.dumps({"model": model, "default_variant": default_variant(model),
                               "model_version": model_version(model),
                               "data_version": data_version(net),
                               "samples": samples, "seed": seed,
                               "default_rule": default_rule(table),
                               "error_model": rows.attrs.get("error_model", {}),
                               "spin_up_months": rows.attrs.get("spin_up_months", {}),
                               "rows": records(rows), "summary": records(table)},
                              indent=1))
        return
    print_scores(table, f"critmin backtest ({model}, {samples:,} samples; default "
                        f"inputs: {default_variant(model)})")
    rule = default_rule(table)
    if "crps_loo" in rule:
        console.print(f"default rule picks {rule['picks']}: LOO CRPS {rule['crps_loo']:.3f} "
                      f"vs priors {rule['crps_priors']:.3f}, LOO 90 % coverage "
                      f"{rule['coverage_90_loo']:.0%} (band 80-95 %)")
    if html is not None:
        console.print(f"figures written to {html}")


def print_scores(table, title: str) -> None:
    """The score table per variant and episode, then per variant and horizon band."""
    cols = ("variant", "episode", "band", "n", "CRPS", "skill nc", "skill rw", "cov50",
            "cov80", "cov90", "P95/P5", "w50", "bias")
    view = Table(title=title)
    for c in cols:
        view.add_column(c, justify="left" if c in cols[:3] else "right")
    sel = table[table["kind"].eq("ALL") & (table["band"].eq("ALL")
                                           | table["episode"].eq("ALL"))]
    for r in sel.itertuples(index=False):
        view.add_row(r.variant, r.episode, r.band, str(r.n), f"{r.crps:.3f}",
                     f"{r.skill_no_change:+.2f}", f"{r.skill_random_walk:+.2f}",
                     f"{r.coverage_50:.0%}", f"{r.coverage_80:.0%}", f"{r.coverage_90:.0%}",
                     f"{r.p95_p5:.1f}", f"{r.width_50:.2f}", f"{r.bias:+.2f}")
    console.print(view)
    console.print("CRPS on values relative to the pre-announcement value (lower is "
                  "better); skill = 1 - CRPS / reference CRPS (1 perfect, 0 no better, "
                  "< 0 worse) against no change (nc) and a random walk (rw); cov: "
                  "coverage of the central 50/80/90 % intervals; w50: the 50 % "
                  "interval's width (x baseline); bias: median log(observed / P50), above 0 the "
                  "model is too low; bands: months after the announcement. Variants: "
                  "priors_v1 (v1 on its priors), priors (the model's priors), posterior "
                  "(in-sample), loo (fitted without the episode).")


def sensitivity_cmd(
    scenario: Annotated[str, typer.Option(help="preset id or scenario file")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON records")] = False,
    samples: Annotated[int, typer.Option(
        min=8, help="SALib base sample size N (power of 2); runs N x (inputs + 2)")] = 256,
    model: Model = DEFAULT_MODEL,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    top: Annotated[int, typer.Option(min=1, help="drivers shown per output")] = 3,
    data: DataPath = None,
) -> None:
    """Sobol indices (SALib) of the headline outputs to every latent input; top drivers."""
    from critmin.calibrate.sensitivity import sobol_indices, top_drivers
    from critmin.report.fmt import index_text

    check_model(model, "sensitivity")
    if samples & (samples - 1):
        _say(f"sensitivity: --samples must be a power of 2 (got {samples})")
        raise typer.Exit(2)
    net = load_net(data)
    sc = load_scenario(scenario, net)
    try:
        idx = sobol_indices(net, sc, model=model, samples=samples, seed=seed)
    except ValueError as exc:
        _say(f"sensitivity: {exc}")
        raise typer.Exit(2) from exc
    top_df = top_drivers(net, sc, k=top, indices=idx)
    if as_json:
        typer.echo(json.dumps({"scenario": sc.id, "model": model, "samples": samples,
                               "seed": seed, "indices": records(idx),
                               "top_drivers": records(top_df)}, indent=1))
        return
    view = Table(title=f"{sc.id}: top drivers (Sobol total-order ST, first-order S1)")
    for c in ("commodity", "output", "region", "input", "ST", "S1"):
        view.add_column(c, justify="right" if c in ("ST", "S1") else "left")
    for r in top_df.itertuples(index=False):
        view.add_row(r.commodity, r.output, r.region, r.input,
                     index_text(r.ST, r.ST_conf, r.ST_estimate),
                     index_text(r.S1, r.S1_conf, r.S1_estimate))
    console.print(view)
    console.print("Indices are shares of variance, 0-1, ± 95 % confidence; an estimate "
                  "outside 0-1 is sampling noise, shown clipped (critmin glossary sobol).",
                  highlight=False)


def _history(net, wanted, samples: int, seed: int, output: Path | None) -> None:
    """History matching of v2 (critmin.calibrate.history): fits all and loo:E."""
    from critmin.calibrate.history import history_match
    from critmin.calibrate.posterior import posterior_dir, write_index_fits

    fits = history_match(net, samples=samples, seed=seed, episodes=wanted)
    both = fits.pop("_scores")
    write_index_fits(fits, "v2", output)
    for fit, prov in fits.items():
        top = sorted(prov["contraction"].items(), key=lambda kv: -kv[1])[:3]
        console.print(f"v2 {fit}: {prov['effective_sample_size']} of {samples} draws kept "
                      f"({len(prov['observations'])} observations); most learned: "
                      + ", ".join(f"{k} {v:.2f}" for k, v in top))
    ok = both.dropna(subset=["crps_loo"])
    console.print(f"LOO CRPS from the bank {ok['crps_loo'].mean():.3f} vs priors "
                  f"{ok['crps_priors'].mean():.3f} ({len(ok)} observations)")
    console.print(f"posterior written to {output or posterior_dir()}/posterior_meta.json")


def _hierarchical(net, wanted, particles: int, loo_particles: int, moves: int,
                  max_moves: int, seed: int, output: Path | None, as_json: bool,
                  power: str = "auto") -> None:
    """Hierarchical SMC of v2 (critmin.calibrate.hierarchical): fits all and loo:E."""
    from critmin.calibrate.hierarchical import calibrate_hierarchical
    from critmin.calibrate.posterior import posterior_dir, write_particle_fits

    fits, parts = calibrate_hierarchical(net, particles=particles,
                                         loo_particles=loo_particles,
                                         moves=moves, max_moves=max_moves, seed=seed,
                                         episodes=wanted, power=power)
    write_particle_fits(fits, parts, "v2", output)
    where = output or posterior_dir()
    if as_json:
        keys = ("particles", "effective_sample_size", "unique_particles", "correlation",
                "power", "residual_autocorrelation", "simulations", "steps", "contraction",
                "predictive_check", "observation_error", "episodes", "method", "seed")
        typer.echo(json.dumps({"model": "v2", "written": str(where), "fits": {
            f: {k: p[k] for k in keys} for f, p in fits.items()}}, indent=1))
        return
    view = Table(title=f"v2 hierarchical calibration ({particles:,} particles per fit, "
                       f"seed {seed})")
    for c in ("fit", "ESS", "unique", "corr", "power", "temperatures", "simulations", "PPC n",
              "cov50", "cov90", "CRPS", "most learned (1 - var post / var prior)"):
        view.add_column(c, justify="left" if c == "fit" or c.startswith("most") else "right")
    for fit, p in fits.items():
        c = p["predictive_check"]
        top = sorted(p["contraction"].items(), key=lambda kv: -kv[1])[:3]
        view.add_row(fit, f"{p['effective_sample_size']:,.0f}", f"{p['unique_particles']:,}",
                     f"{p['correlation']:.2f}", f"{p['power']:.2f}", str(len(p["steps"])),
                     f"{p['simulations']:,}", str(c.get("n", 0)),
                     f"{c.get('coverage_50', float('nan')):.0%}",
                     f"{c.get('coverage_90', float('nan')):.0%}",
                     f"{c.get('crps', float('nan')):.3f}",
                     ", ".join(f"{k} {v:.2f}" for k, v in top))
    console.print(view)
    console.print("ESS: Kish effective sample size of the last reweighting (to the last "
                  "temperature, the power); corr: the particles' correlation with where "
                  "they were resampled, left after the last moves (1: all kept, 0: "
                  "forgotten); power: the tempered posterior's (prior x L^power); PPC: "
                  "posterior-predictive coverage of the central 50/90 % intervals, "
                  "in sample for `all`, of the left-out episode for `loo:E`.")
    console.print(f"posterior written to {where}/posterior_meta.json (+ "
                  "posterior_particles.npz)")
