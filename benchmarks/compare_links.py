"""Which link combines the hazard features best: the penalised logistic regression the model
uses, or histogram gradient boosting on the same features, windows and labels.

At each of the rolling origins (monthly from ``--as-of``) ``HazardModel`` is fitted as the
rolling backtest fits it; a ``HistGradientBoostingClassifier`` is fitted on the same
training windows' feature matrices and labels; both forecast the next 30 days on every
two-way piece of the study network. Pooled ROC AUC, average precision and Brier are printed
for both. Run from the repository root (needs the shared data)::

    python benchmarks/compare_links.py [--origins 24] [--as-of 2018-01-01]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from routerisk.config import ACLED_FILE, shared_file
from routerisk.incidents.acled import read_acled
from routerisk.model import features
from routerisk.model.hazard import HazardModel
from routerisk.model.rolling import rolling_origins
from routerisk.network.io import load_study_network


def _day(t) -> float:
    return float((pd.Timestamp(t) - pd.Timestamp("1970-01-01")).days)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--origins", type=int, default=24)
    ap.add_argument("--as-of", default="2018-01-01")
    args = ap.parse_args()
    df = read_acled(shared_file(ACLED_FILE))
    G = load_study_network()
    y_all, p_lr, p_hgb = [], [], []
    for o in rolling_origins(args.as_of, args.origins, 30):
        model = HazardModel(horizon_days=30, n_routes=0).fit(df, as_of=o, G=G)
        space = next(reversed(features._CACHE.values()))   # the space the fit just used
        train = [_day(t) for t in model.train_origins_]
        X = np.vstack([space.at(t) for t in train])
        Y = np.concatenate([space.labels(t, t + 30) for t in train])
        hgb = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05,
                                             max_leaf_nodes=15, l2_regularization=1.0,
                                             random_state=0).fit(X, Y)
        d = _day(o)
        Xo = space.at(d)
        y_all.append(space.labels(d, d + 30))
        p_lr.append(model._logistic((Xo - model.feature_mean_) / model.feature_scale_))
        p_hgb.append(hgb.predict_proba(Xo)[:, 1])
        print(f"{o.date()}  AP logistic {average_precision_score(y_all[-1], p_lr[-1]):.3f}"
              f"  gradient boosting {average_precision_score(y_all[-1], p_hgb[-1]):.3f}",
              flush=True)
    y = np.concatenate(y_all)
    for name, p in (("logistic (L2)", np.concatenate(p_lr)),
                    ("gradient boosting", np.concatenate(p_hgb))):
        print(f"{name:<18} AUC {roc_auc_score(y, p):.4f}  AP {average_precision_score(y, p):.4f}"
              f"  Brier {brier_score_loss(y, p):.5f}")


if __name__ == "__main__":
    main()
