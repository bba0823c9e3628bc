"""Episodes, scores, joint ABC calibration, backtests and Sobol sensitivity of the market
model (``critmin calibrate``, ``critmin backtest``, ``critmin sensitivity``)."""
