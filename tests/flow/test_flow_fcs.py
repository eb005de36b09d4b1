"""FCS reading and decoding, compensation, bad files.

Known answers: the GatingML 2.0 compliance file data1.fcs (FlowKit data/gate_ref; decoding
rule from ../shared/reference/README.md), FlowIO's own decoder (``as_array``) and FlowKit's
``Sample`` (raw and compensated events).
"""

from __future__ import annotations

import re

import flowio
import numpy as np
import pytest

from p53lab.errors import FileFormatError, ParameterError
from p53lab.flow import (
    FcsData,
    Spillover,
    channel_values,
    compensate,
    read_fcs,
    read_spillover_csv,
    spillover_from_keywords,
    write_fcs,
)

# ---- data1.fcs (FCS 2.0, 16-bit big-endian integers) -----------------------------------------


def test_data1_decoding_rule(data1):
    """$PnE 4,0 → 10^(4·c/1024) (f2 = 0 read as 1); FSC/SSC divided by $PnG (3.67, 8)."""
    s = read_fcs(data1)
    assert (s.version, s.n_events, s.n_channels) == ("2.0", 13367, 8)
    assert s.pnn == ("FSC-H", "SSC-H", "FL1-H", "FL2-H", "FL3-H", "FL2-A", "FL4-H", "Time")
    raw = data1.read_bytes()
    start, stop = int(raw[26:34]), int(raw[34:42])
    c = np.frombuffer(raw[start : stop + 1], dtype=">u2").reshape(-1, 8).astype(float)
    assert np.allclose(s.column("FSC-H"), c[:, 0] / 3.67, rtol=1e-15, atol=0)
    assert np.allclose(s.column("SSC-H"), c[:, 1] / 8.0, rtol=1e-15, atol=0)
    for name, k in (("FL1-H", 2), ("FL2-H", 3), ("FL3-H", 4), ("FL4-H", 6)):
        assert np.allclose(s.column(name), 10 ** (4 * c[:, k] / 1024), rtol=1e-14, atol=0)
    assert np.array_equal(s.column("FL2-A"), c[:, 5])  # $PnE 0,0 and no gain: as stored
    assert not s.events.flags.writeable


def test_data1_matches_flowkit_raw(data1):
    import flowkit

    ours = read_fcs(data1).events
    theirs = flowkit.Sample(str(data1)).get_events(source="raw")
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


def test_channel_lookup_by_pnn_and_pns(data1):
    s = read_fcs(data1)
    assert s.index("FL2-H") == s.index("CD8 B PE") == s.index("cd8 b pe") == 3
    with pytest.raises(ParameterError) as exc:
        s.index("Annexin V")
    msg = str(exc.value)
    assert "'Annexin V' is not in data1.fcs" in msg
    assert "FL2-H (CD8 B PE)" in msg and "FL4-H (CD8 APC)" in msg


# ---- synthetic files -----------------------------------------------------------------------


def test_float_fcs31_with_spillover_matches_flowkit(tmp_path, flowsim):
    """Decoded and compensated values equal FlowKit's (1e-9 relative)."""
    import flowkit

    rng = np.random.default_rng(7)
    path, _ = flowsim.write_apoptosis_fcs(
        tmp_path / "a.fcs", rng, 3000, dict(live=0.5, early=0.2, late=0.2, necrotic=0.1)
    )
    s = read_fcs(path)
    assert s.version == "3.1" and s.pns[3] == "Annexin V"
    sp = spillover_from_keywords(s)
    assert sp.channels == ("FITC-A", "PE-A")
    np.testing.assert_allclose(sp.matrix, flowsim.SPILL)

    fk = flowkit.Sample(str(path))
    np.testing.assert_allclose(s.events, fk.get_events(source="raw"), rtol=1e-15)
    fk.apply_compensation(fk.metadata["spillover"])
    theirs = fk.get_events(source="comp")
    ours = compensate(s, "file").events
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
    # the two-column shortcut used by the gates gives the same numbers
    two = channel_values(s, ["Annexin V", "PI"], "file")
    np.testing.assert_allclose(two, theirs[:, [3, 4]], rtol=1e-9, atol=1e-9)
    # an uncompensated channel is returned as stored
    assert np.array_equal(channel_values(s, ["FSC-A"], "file")[:, 0], s.column("FSC-A"))


def test_integer_fcs30_mixed_widths_gain_log_and_dollar_spill(tmp_path, flowsim):
    """16/32-bit big-endian integers, $PnG, $PnE log, $TIMESTEP and a $SPILL keyword."""
    rng = np.random.default_rng(3)
    n = 500
    cols = [
        rng.integers(0, 1024, n),  # FSC-H, 16 bit, range 1024, gain 2
        rng.integers(0, 2**20, n),  # FL1-A, 32 bit, range 2^20
        rng.integers(0, 1024, n) | (1 << 12),  # FL2-H, 16 bit log 4 decades; bit 12 above range
        rng.integers(0, 60000, n),  # Time, 32 bit
    ]
    kw = {
        "$P1N": "FSC-H",
        "$P1R": "1024",
        "$P1E": "0,0",
        "$P1G": "2.0",
        "$P2N": "FL1-A",
        "$P2S": "CD4 FITC",
        "$P2R": "1048576",
        "$P2E": "0,0",
        "$P3N": "FL2-H",
        "$P3S": "CD8 PE",
        "$P3R": "1024",
        "$P3E": "4,0",
        "$P4N": "Time",
        "$P4R": "65536",
        "$P4E": "0,0",
        "$P4G": "5",
        "$TIMESTEP": "0.01",
        "$SPILL": "2,FL1-A,FL2-H,1,0.1,0.05,1",
    }
    path = flowsim.write_int_fcs(tmp_path / "i.fcs", cols, [16, 32, 16, 32], kw)
    s = read_fcs(path)
    expected = flowio.FlowData(str(path)).as_array(preprocess=True)
    np.testing.assert_allclose(s.events, expected, rtol=1e-15)
    assert np.allclose(s.column("FSC-H"), cols[0] / 2.0)
    assert np.allclose(s.column("CD8 PE"), 10 ** (4 * (cols[2] & 1023) / 1024))
    assert np.allclose(s.column("Time"), cols[3] * 0.01)  # no gain on time
    sp = spillover_from_keywords(s)
    assert sp.channels == ("FL1-A", "FL2-H") and sp.matrix[0, 1] == 0.1


def test_spill_keyword_without_dollar(tmp_path, flowsim):
    ev = np.random.default_rng(1).normal(1000, 100, (200, 3))
    kw = {"SPILL": flowsim.spill_keyword(np.array([[1, 0.2], [0.1, 1]]), ("B", "C"))}
    path = flowsim.write_float_fcs(tmp_path / "s.fcs", ev, ["A", "B", "C"], keywords=kw)
    s = read_fcs(path)
    assert "spill" in s.keywords and "spillover" not in s.keywords
    sp = spillover_from_keywords(s)
    assert sp.channels == ("B", "C") and sp.matrix[0, 1] == pytest.approx(0.2)
    comp = compensate(s, "file")
    np.testing.assert_allclose(comp.events[:, 1:], s.events[:, 1:] @ np.linalg.inv(sp.matrix))
    np.testing.assert_array_equal(comp.events[:, 0], s.events[:, 0])


def test_write_fcs_round_trip_and_flowkit_reads_it(tmp_path):
    import flowkit

    rng = np.random.default_rng(2)
    ev = rng.normal(500, 50, (1000, 3))
    sp = Spillover(("B", "C"), np.array([[1, 0.1], [0.05, 1]]))
    path = write_fcs(tmp_path / "w.fcs", ev, ["A", "B", "C"], ["a", "b", "c"], spillover=sp)
    s = read_fcs(path)
    np.testing.assert_allclose(s.events, ev.astype(np.float32), rtol=0)
    assert s.pns == ("a", "b", "c")
    np.testing.assert_allclose(spillover_from_keywords(s).matrix, sp.matrix)
    assert flowkit.Sample(str(path)).event_count == 1000


def test_spillover_csv_with_row_names_is_reordered(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text(",FITC-A,PE-A\nPE-A,0.02,1\nFITC-A,1,0.15\n")
    sp = read_spillover_csv(p)
    assert sp.channels == ("FITC-A", "PE-A")
    np.testing.assert_allclose(sp.matrix, [[1, 0.15], [0.02, 1]])
    p.write_text("FITC-A\tPE-A\n1\t0.15\n0.02\t1\n")
    np.testing.assert_allclose(read_spillover_csv(p).matrix, [[1, 0.15], [0.02, 1]])


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("A,B\n1,x\n0,1\n", r"row 2, column 2 \('B'\) holds 'x'"),
        ("A,B\n1,0\n", "square"),
        ("A,B\n1,1\n1,1\n", "singular"),
    ],
)
def test_bad_spillover_csv(tmp_path, content, pattern):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises((FileFormatError, ParameterError), match=pattern):
        read_spillover_csv(p)


def test_spillover_naming_a_missing_channel(data1):
    s = read_fcs(data1)
    sp = Spillover(("FL1-H", "FL9-H"), np.eye(2), source="panel.csv")
    with pytest.raises(ParameterError, match=r"names channel 'FL9-H'.*Channels: FSC-H"):
        compensate(s, sp)
    with pytest.raises(FileFormatError, match="no \\$SPILLOVER, \\$SPILL or SPILL keyword"):
        compensate(s, "file")


# ---- bad files -----------------------------------------------------------------------------


def test_truncated_file_names_file_and_sizes(tmp_path, data1):
    cut = tmp_path / "cut.fcs"
    cut.write_bytes(data1.read_bytes()[:200_000])
    with pytest.raises(FileFormatError) as exc:
        read_fcs(cut)
    msg = str(exc.value)
    assert str(cut) in msg and "truncated" in msg
    assert "216432 bytes are expected" in msg and "the file has 200000" in msg


def test_truncated_float_file_large_layout(tmp_path, flowsim):
    ev = np.ones((1000, 2))
    path = flowsim.write_float_fcs(tmp_path / "f.fcs", ev, ["A", "B"])
    raw = path.read_bytes()
    path.write_bytes(raw[:-100])
    with pytest.raises(FileFormatError, match=r"truncated.*100 missing"):
        read_fcs(path)


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "not an FCS file"),
        (b"PK\x03\x04 a zip file", "not an FCS file"),
        (b"FCS3.1    " + b"      58", "truncated inside its HEADER"),
    ],
)
def test_not_fcs(tmp_path, content, pattern):
    p = tmp_path / "x.fcs"
    p.write_bytes(content)
    with pytest.raises(FileFormatError, match=pattern):
        read_fcs(p)


def test_text_beyond_end_of_file(tmp_path, data1):
    cut = tmp_path / "head.fcs"
    cut.write_bytes(data1.read_bytes()[:1000])
    with pytest.raises(FileFormatError, match=re.escape("at least 2320 bytes are expected")):
        read_fcs(cut)


def test_with_events_checks_shape(data1):
    s = read_fcs(data1)
    assert isinstance(s.with_events(s.events * 2), FcsData)
    with pytest.raises(ParameterError, match="shape"):
        s.with_events(np.zeros((3, 3)))
