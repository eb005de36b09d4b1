"""The command line: contracted commands and their outputs, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from p53lab.cli import main

CONTRACT_COLUMNS = ["time_h", "p53_total_nM", "mdm2_total_nM", "mdmx_total_nM", "p21_nM", "puma_nM"]


def test_help_lists_every_command_group(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for group in ("demo", "simulate", "western", "sbml", "fit", "flow", "blot", "catalog"):
        assert group in out


def _commands(parser, prefix=()):
    """Every command path of the parser, e.g. ("fit", "plate")."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


def test_every_command_prints_its_help(capsys):
    # a lone '%' in a help text breaks argparse's formatting only when --help is asked for
    from p53lab.cli import build_parser

    paths = list(_commands(build_parser()))
    assert ("fit", "plate") in paths and ("flow", "apoptosis") in paths
    for path in paths:
        with pytest.raises(SystemExit) as e:
            main([*path, "--help"])
        assert e.value.code == 0, path
        assert capsys.readouterr().out.startswith("usage:"), path


@pytest.mark.parametrize("name", ["kt-253", "milademetan", "DS-3032", "nutlin-3a"])
def test_simulate_contract_columns_and_rows(tmp_path, name):
    out = tmp_path / "o.csv"
    rc = main(
        [
            "simulate",
            "--compound",
            name,
            "--conc-nM",
            "10",
            "--hours",
            "24",
            "--points",
            "25",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    df = pd.read_csv(out)
    assert list(df.columns[:1]) == ["time_h"]
    assert set(CONTRACT_COLUMNS) <= set(df.columns)
    assert len(df) == 25
    assert df["time_h"].iloc[-1] == pytest.approx(24.0)


def test_simulate_vehicle_is_the_untreated_steady_state(tmp_path):
    out = tmp_path / "v.csv"
    assert (
        main(
            [
                "simulate",
                "--compound",
                "kt-253",
                "--conc-nM",
                "0",
                "--hours",
                "24",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    df = pd.read_csv(out)
    for col in CONTRACT_COLUMNS[1:]:
        assert df[col].max() == pytest.approx(df[col].min(), rel=1e-4)


def test_simulate_cell_line_changes_the_answer(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["simulate", "--compound", "milademetan", "--conc-nM", "1000", "--hours", "8"]
    assert main([*args, "--cell-line", "RS4;11", "--out", str(a)]) == 0
    assert main([*args, "--cell-line", "SW480", "--out", str(b)]) == 0
    fa, fb = pd.read_csv(a), pd.read_csv(b)
    assert fa["p21_nM"].iloc[-1] > 3 * fa["p21_nM"].iloc[0]
    assert fb["p21_nM"].iloc[-1] == pytest.approx(fb["p21_nM"].iloc[0], rel=0.05)


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["simulate", "--compound", "kt-253", "--conc-nM", "-1", "--hours", "4"], "--conc-nM"),
        (["simulate", "--compound", "kt-253", "--conc-nM", "nan", "--hours", "4"], "--conc-nM"),
        (["simulate", "--compound", "kt-253", "--conc-nM", "1", "--hours", "0"], "--hours"),
        (["simulate", "--compound", "aspirin-x", "--conc-nM", "1", "--hours", "4"], "aspirin-x"),
        (
            [
                "simulate",
                "--compound",
                "kt-253",
                "--conc-nM",
                "1",
                "--hours",
                "4",
                "--cell-line",
                "HeLaX",
            ],
            "HeLaX",
        ),
        (
            [
                "simulate",
                "--compound",
                "kt-253",
                "--conc-nM",
                "1",
                "--hours",
                "4",
                "--set",
                "k_nonsense=3",
            ],
            "k_nonsense",
        ),
        (
            [
                "simulate",
                "--compound",
                "kt-253",
                "--conc-nM",
                "1",
                "--hours",
                "4",
                "--set",
                "kb_pm",
            ],
            "NAME=VALUE",
        ),
        (["simulate", "--compound", "serdemetan", "--conc-nM", "1", "--hours", "4"], "serdemetan"),
    ],
)
def test_bad_simulate_input_exits_2_with_a_message(tmp_path, capsys, argv, needle):
    rc = main([*argv, "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--compound", "kt-253"])
    assert e.value.code == 2


@pytest.mark.slow
def test_western_writes_table_and_figure(tmp_path, capsys):
    out = tmp_path / "w"
    rc = main(["western", "--compounds", "KT-253,milademetan", "--out-dir", str(out)])
    assert rc == 0
    table = pd.read_csv(out / "western_blot.csv")
    assert {
        "compound",
        "conc_nM",
        "time_h",
        "protein",
        "band_intensity",
        "loading_control",
        "normalised_to_loading",
        "relative_to_vehicle",
    } <= set(table.columns)
    assert set(table["protein"]) == {"MDM2", "p53", "p21"}
    assert set(table["time_h"]) == {2.0, 4.0, 8.0, 24.0}
    kt = table[table["compound"] == "KT-253"]
    assert set(kt["conc_nM"]) == {0.0, 0.1, 1.0, 10.0, 100.0}
    smi = table[table["compound"] == "milademetan"]
    assert smi["conc_nM"].max() == 10000.0
    # vehicle lanes are 1 by construction; the loading control is divided out
    veh = table[table["conc_nM"] == 0]["relative_to_vehicle"]
    assert veh.to_numpy() == pytest.approx(np.ones(len(veh)))
    assert (out / "western_blot.png").stat().st_size > 10_000
    # the degrader removes MDM2; the inhibitor makes it surge
    row = kt[(kt["protein"] == "MDM2") & (kt["conc_nM"] == 10) & (kt["time_h"] == 4)]
    assert row["relative_to_vehicle"].iloc[0] <= 0.2
    row = smi[(smi["protein"] == "MDM2") & (smi["conc_nM"] == 1000) & (smi["time_h"] == 8)]
    assert row["relative_to_vehicle"].iloc[0] >= 2.0


def test_western_rejects_bad_times(tmp_path, capsys):
    rc = main(["western", "--times-h", "2,x", "--out-dir", str(tmp_path)])
    assert rc == 2 and "--times-h" in capsys.readouterr().err


def test_catalog_commands(capsys):
    assert main(["catalog", "compounds"]) == 0
    assert "KT-253" in capsys.readouterr().out
    assert main(["catalog", "show", "ds-3032"]) == 0
    assert "milademetan" in capsys.readouterr().out
    assert main(["catalog", "show", "nothing-like-this"]) == 2


def test_demo_refuses_a_negative_seed(capsys):
    # the demo itself runs once, in tests/population/test_demo_headline.py
    assert main(["demo", "--seed", "-1", "--out", "unused"]) == 2
    assert "--seed" in capsys.readouterr().err
