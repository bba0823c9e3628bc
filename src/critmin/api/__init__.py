"""The HTTP API: routes (app), tokens (auth), jobs in worker processes (jobs), cached reads
(cache), request limits (limits) and service settings (settings)."""
