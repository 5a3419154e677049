"""The hazard model: kernels, the estimator, segment and route risk, the backtest.
Imports :mod:`routerisk.geo`, :mod:`routerisk.network` and :mod:`routerisk.incidents`."""

#: Time split of the backtest inside the shared ACLED file (1997–2019).
DEFAULT_BACKTEST_AS_OF = "2019-01-01"
DEFAULT_BACKTEST_HORIZON_DAYS = 365
