"""``routerisk model fit``: fit the hazard model once and save it for every later command.

``routerisk model fit --out model.json [--incidents FILE ...] [--as-of DATE]`` fits the
model on the incidents (the study network is the reference of its time-split validation)
and writes ``model.json`` + ``model.npz`` (see :mod:`routerisk.model.persist`). Every
scoring command then takes ``--model model.json`` and skips reading incidents and fitting.
"""

from __future__ import annotations

import argparse

from routerisk._output import print_json
from routerisk.cli import _args, _model


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``model`` command group."""
    m = subparsers.add_parser("model", help="fit the hazard model once and save it",
                              description="Fit and save the hazard model.")
    sub = m.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)
    f = sub.add_parser("fit", help="fit on the incidents and save to a file",
                       description="Fit the hazard model on the incidents (validated on the "
                                   "study network) and save it as JSON + .npz; pass the "
                                   "JSON to --model of score, route, exposure, scenario "
                                   "and report.")
    f.add_argument("--out", required=True, metavar="FILE", help="model file to write (.json)")
    f.add_argument("--incidents", nargs="+", default=None, metavar="FILE",
                   help="incident files (default: the project catalogue + the shared ACLED "
                        "file)")
    f.add_argument("--as-of", type=_args.iso_date, default=None, metavar="DATE",
                   help="forecast date (default: the day after the latest incident)")
    f.add_argument("--horizon-days", type=_args.positive_int, default=30, metavar="N",
                   help="the horizon the model is fitted for, days (default 30); the "
                        "commands using --model must ask for the same horizon")
    f.add_argument("--json", action="store_true", help="print JSON")
    f.set_defaults(func=cmd_fit)


def cmd_fit(args: argparse.Namespace) -> int:
    """Fit and save."""
    from routerisk.model.persist import incident_digests, save_model

    if not args.out.lower().endswith(".json"):
        raise SystemExit(_usage_error(f"--out {args.out}: a model file must end in .json"))
    files = _model.incident_files(args)
    digests = incident_digests(files)
    incidents = _model.read_incidents(args.incidents)
    model = _model.fit_model(incidents, args.as_of, args.horizon_days)
    info = _model.incident_info(incidents, model)
    path = save_model(model, args.out, incidents_digest=digests,
                      metadata={"n_incidents_read": info["n"],
                                "latest_incident": info["latest"],
                                "history": info["history"]})
    out = {"model": str(path), "arrays": str(path.with_suffix(".npz")),
           "incident_files": sorted(digests), **model.params_used()}
    if args.json:
        print_json(out)
        return 0
    print(f"saved {path} (+ {path.with_suffix('.npz').name}): as of {out['as_of']}, "
          f"{out['n_incidents']:,} incidents, {out['horizon_days']}-day {out['link']} "
          f"fitted on {len(out['train_origins'])} windows")
    return 0


def _usage_error(message: str) -> int:
    import sys

    print(f"routerisk model fit: error: {message}", file=sys.stderr)
    return 2
