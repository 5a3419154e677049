"""The command line under bad arguments and faults: one line on stderr naming the option or
file, exit 1 for bad data, 2 for bad arguments, 130/143 for Ctrl-C/SIGTERM, and the
traceback only with ``-v``."""

from __future__ import annotations

import errno
import io
import subprocess
import sys
import textwrap

import pytest

from routerisk.cli import main

GOOD = ("incident_id,date,latitude,longitude,event_type,source\n"
        "T-1,2019-03-02,14.5406,-9.1869,convoy_ambush,test\n"
        "T-2,2019-04-02,12.65,-8.0,ied,test\n")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if "error" in ln]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def incidents(tmp_path):
    path = tmp_path / "inc.csv"
    path.write_text(GOOD)
    return path


def test_option_values_checked_by_the_library_exit_2(capsys, tmp_path, incidents):
    cases = [
        (["scenario", "--blockade", "Kayes:-5", "--incidents", str(incidents)], "--blockade"),
        (["scenario", "--blockade", "Kayes:nan", "--incidents", str(incidents)], "--blockade"),
        (["exposure", "--share", "dakar=2", "--incidents", str(incidents)], "--share"),
        (["incidents", "validate", str(incidents), "--encoding", "klingon"], "--encoding"),
        (["score", "--corridor", "bamako-segou", "--incidents", str(incidents), "--as-of",
          "1990-01-01"], "--as-of 1990-01-01: no incident is dated before it"),
        (["score", "--corridor", "bamako-segou", "--incidents", str(incidents), "--as-of",
          "2099-01-01"], "--as-of 2099-01-01"),
        (["backtest", "--incidents", str(incidents), "--test-incidents", str(incidents),
          "--as-of", "1990-01-01", "--horizon-days", "30"], "--as-of 1990-01-01"),
    ]
    for argv, expected in cases:
        code, _, err = _run(capsys, *argv)
        assert code == 2, (argv, err)
        assert expected in _one_error_line(err), err


def test_argparse_types_refuse_non_finite_numbers(capsys, incidents):
    for value in ("nan", "inf", "-1"):
        with pytest.raises(SystemExit) as ex:
            main(["incidents", "summary", str(incidents), "--buffer-km", value])
        assert ex.value.code == 2
        assert "--buffer-km" in capsys.readouterr().err


def test_segment_length_creating_too_many_pieces_exits_2_with_the_number(capsys):
    code, _, err = _run(capsys, "network", "info", "--corridor", "bamako-segou",
                        "--max-segment-km", "1e-4")
    assert code == 2
    line = _one_error_line(err)
    assert "pieces; at most 2,000,000 are allowed" in line and "--max-segment-km" in line


def test_bad_output_folders_exit_2_naming_the_option(capsys, tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    osm = tmp_path / "roads.osm"
    osm.write_text("<osm/>")
    cases = [
        (["network", "build", "--corridor", "bamako-segou", "--osm-file", str(osm),
          "--cache-dir", str(a_file)], "--cache-dir"),
        (["report", "--out", str(a_file / "sub"), "--no-backtest"], "--out"),
        (["report", "--out", str(a_file), "--no-backtest"], "is a file"),
        (["report", "--out", str(tmp_path / ("r" * 300)), "--no-backtest"], "at most 255"),
    ]
    for argv, expected in cases:
        code, _, err = _run(capsys, *argv)
        assert code == 2, (argv, err)
        assert expected in _one_error_line(err)
    other = tmp_path / "documents"
    other.mkdir()
    (other / "thesis.docx").write_text("precious")
    code, _, err = _run(capsys, "report", "--out", str(other), "--no-backtest")
    assert code == 2 and "holds other files" in _one_error_line(err)
    assert (other / "thesis.docx").read_text() == "precious"


def test_long_file_name_and_missing_file_are_one_line_exit_1(capsys, tmp_path):
    code, _, err = _run(capsys, "incidents", "validate", str(tmp_path / ("y" * 300 + ".csv")))
    assert code == 1 and "name too long" in _one_error_line(err)


class _Failing(io.StringIO):
    def __init__(self, err: int) -> None:
        super().__init__()
        self.err = err

    def write(self, s):  # noqa: ARG002
        raise OSError(self.err, "No space left on device" if self.err == errno.ENOSPC
                      else "Broken pipe")


def test_full_disk_or_closed_pipe_on_stdout(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _Failing(errno.ENOSPC))
    code = main(["corridors"])
    err = capsys.readouterr().err
    assert code == 1 and "no space left on the device" in _one_error_line(err)
    monkeypatch.setattr(sys, "stdout", _Failing(errno.EPIPE))
    assert main(["corridors"]) == 0


def test_verbose_shows_the_traceback(capsys, incidents):
    code, _, err = _run(capsys, "incidents", "validate", str(incidents) + ".missing")
    assert code == 1 and "Traceback" not in err
    with pytest.raises(Exception, match="not found"):
        main(["-v", "incidents", "validate", str(incidents) + ".missing"])


def test_unexpected_errors_are_one_line(monkeypatch, capsys):
    import routerisk.network.corridors as corridors

    def boom(*a, **k):
        raise TypeError("something nobody expected")

    monkeypatch.setattr(corridors, "load_corridors", boom)
    code, _, err = _run(capsys, "corridors")
    assert code == 1
    assert "unexpected TypeError: something nobody expected" in _one_error_line(err)
    assert "-v" in err


# ------------------------------------------------------------------ Ctrl-C during import
_INTERRUPT_ON_IMPORT = textwrap.dedent("""
    import importlib.abc, sys
    class Interrupt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == {target!r}:
                raise KeyboardInterrupt
            return None
    sys.meta_path.insert(0, Interrupt())
    sys.argv = ["routerisk", "--help"]
    {run}
""")


@pytest.mark.parametrize("target, run", [
    ("routerisk.cli", "import runpy; runpy.run_module('routerisk', run_name='__main__')"),
    ("routerisk.cli.report", "from routerisk.cli import run; run()"),
])
def test_ctrl_c_while_importing_is_one_line_and_exit_130(target, run):
    proc = subprocess.run([sys.executable, "-c",
                           _INTERRUPT_ON_IMPORT.format(target=target, run=run)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.startswith("routerisk: interrupted"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
