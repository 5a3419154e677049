"""The hazard model: kernels, the estimator, segment and route risk, the backtest.
Imports :mod:`routerisk.geo`, :mod:`routerisk.network` and :mod:`routerisk.incidents`."""
