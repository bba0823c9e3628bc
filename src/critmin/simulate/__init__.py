"""Monte Carlo simulation: compile scenarios, sample, run, store, summarise."""
