"""The installable package: version, public API, entry points."""

import importlib
import pkgutil
import subprocess
import sys
import types

import routerisk


def test_version_and_public_names():
    assert routerisk.__version__.count(".") == 2
    for name in routerisk.__all__:
        assert hasattr(routerisk, name), name


def test_reexports_do_not_shadow_submodules():
    # `import routerisk.x as y` must give the module x, never a function re-exported as x
    for info in pkgutil.iter_modules(routerisk.__path__):
        if info.name == "__main__":  # importing it runs the command line
            continue
        importlib.import_module(f"routerisk.{info.name}")
        assert isinstance(getattr(routerisk, info.name), types.ModuleType), info.name


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "routerisk", "--version"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert out.stdout.strip() == f"routerisk {routerisk.__version__}"


def test_bad_arguments_exit_2_without_traceback():
    out = subprocess.run([sys.executable, "-m", "routerisk", "no-such-command"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "invalid choice" in out.stderr
