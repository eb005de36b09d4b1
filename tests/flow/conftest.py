"""Synthetic FCS files for the flow tests: writers and simulated populations with planted truth.

Float files are written with FlowIO's own writer (``flowio.create_fcs``); integer FCS 3.0
files, which FlowIO cannot write, by a minimal writer here that follows FCS 3.0 §3.
"""

from __future__ import annotations

import types
from array import array

import flowio
import numpy as np
import pytest

SPILL = np.array([[1.0, 0.15], [0.02, 1.0]])  # FITC -> PE 15 %, PE -> FITC 2 %
APOPTOSIS_CHANNELS = ["FSC-A", "FSC-H", "SSC-A", "FITC-A", "PE-A", "Time"]
APOPTOSIS_LABELS = ["", "", "", "Annexin V", "PI", ""]
DNA_CHANNELS = ["FSC-A", "SSC-A", "PI-A", "PI-H", "PI-W"]


def write_float_fcs(path, events, names, labels=None, keywords=None):
    """FCS 3.1, float32, through flowio.create_fcs."""
    buf = array("f")
    buf.frombytes(np.ascontiguousarray(events, dtype=np.float32).tobytes())
    with open(path, "wb") as fh:
        flowio.create_fcs(
            fh, buf, list(names), opt_channel_names=labels, metadata_dict=dict(keywords or {})
        )
    return path


def write_int_fcs(path, columns, widths, keywords, big_endian=True, version="3.0"):
    """A minimal integer list-mode FCS file (mixed bit widths allowed).

    ``columns``: list of integer arrays; ``widths``: bits per channel; ``keywords``: extra TEXT
    keywords written as given (e.g. {"$P1N": "FSC-H", "$SPILL": "..."}).
    """
    n = len(columns[0])
    order = ">" if big_endian else "<"
    dt = np.dtype([(f"c{i}", f"{order}u{w // 8}") for i, w in enumerate(widths)])
    rec = np.empty(n, dtype=dt)
    for i, col in enumerate(columns):
        rec[f"c{i}"] = col
    data = rec.tobytes()
    kw = {
        "$BYTEORD": "4,3,2,1" if big_endian else "1,2,3,4",
        "$DATATYPE": "I",
        "$MODE": "L",
        "$NEXTDATA": "0",
        "$PAR": str(len(columns)),
        "$TOT": str(n),
        "$BEGINANALYSIS": "0",
        "$ENDANALYSIS": "0",
        "$BEGINSTEXT": "0",
        "$ENDSTEXT": "0",
    }
    for i, w in enumerate(widths, start=1):
        kw[f"$P{i}B"] = str(w)
    kw.update(keywords)
    text_start = 58
    # offsets are written with a fixed width so that the TEXT length does not depend on them
    kw["$BEGINDATA"] = "0" * 12
    kw["$ENDDATA"] = "0" * 12
    body = "/" + "".join(f"{k}/{v}/" for k, v in kw.items())
    text_len = len(body.encode())
    data_start = text_start + text_len
    data_stop = data_start + len(data) - 1
    kw["$BEGINDATA"] = f"{data_start:012d}"
    kw["$ENDDATA"] = f"{data_stop:012d}"
    body = ("/" + "".join(f"{k}/{v}/" for k, v in kw.items())).encode()
    assert len(body) == text_len
    header = f"FCS{version}    {text_start:>8}{data_start - 1:>8}{data_start:>8}{data_stop:>8}"
    header += f"{0:>8}{0:>8}"
    with open(path, "wb") as fh:
        fh.write(header.encode())
        fh.write(body)
        fh.write(data)
    return path


def simulate_annexin_pi(rng, n, fractions, noise=30.0):
    """Events of an Annexin V-FITC / PI stain, before compensation, with planted classes.

    ``fractions``: dict live/early/late/necrotic (sum 1). Returns (events, labels) where
    labels are the planted class names; the detectors see ``true · SPILL`` plus noise.
    """
    names = ("live", "early", "late", "necrotic")
    p = np.array([fractions[k] for k in names])
    cls = rng.choice(4, size=n, p=p / p.sum())
    a_pos = (cls == 1) | (cls == 2)
    p_pos = (cls == 2) | (cls == 3)
    annexin = np.where(
        a_pos, rng.lognormal(np.log(2e4), 0.4, n), rng.lognormal(np.log(300), 0.35, n)
    )
    pi = np.where(p_pos, rng.lognormal(np.log(3e4), 0.4, n), rng.lognormal(np.log(200), 0.35, n))
    true = np.column_stack([annexin, pi])
    obs = true @ SPILL + rng.normal(0, noise, (n, 2))
    fsc = rng.normal(6e4, 8e3, n)
    events = np.column_stack(
        [fsc, fsc / rng.normal(1.2, 0.03, n), rng.normal(3e4, 5e3, n), obs, np.arange(n) * 0.01]
    )
    return events, np.array(names)[cls]


def spill_keyword(matrix=SPILL, names=("FITC-A", "PE-A")):
    vals = ",".join(repr(float(v)) for v in np.asarray(matrix).ravel())
    return f"{len(names)},{','.join(names)},{vals}"


def write_apoptosis_fcs(path, rng, n, fractions, with_spill=True):
    events, labels = simulate_annexin_pi(rng, n, fractions)
    kw = {"$SPILLOVER": spill_keyword()} if with_spill else {}
    write_float_fcs(path, events, APOPTOSIS_CHANNELS, APOPTOSIS_LABELS, kw)
    return path, labels


def simulate_dna(
    rng,
    n=30000,
    g1=0.55,
    s=0.28,
    g2=0.17,
    sub_g1=0.06,
    debris=0.03,
    doublets=0.08,
    mu1=200.0,
    cv=0.04,
):
    """PI area/height/width events with planted phases, sub-G1, debris and doublets.

    G1 cells have DNA content 1, G2/M 2, S uniform in (1, 2); sub-G1 (apoptotic) cells
    uniform in (0.15, 0.7); debris 0.02 + Exp(0.08). Area = content·mu1·(1 + cv·N(0,1)).
    Singlet pulse width ≈ 60·(0.9 + 0.1·content); a doublet sums two cycling cells' areas
    and has 0.8–0.95 × the sum of their widths; height = 60·area/width.
    Returns (events (n + n_doublets, 5), is_singlet, truth dict in percent).
    """
    n_sub, n_deb = int(n * sub_g1), int(n * debris)
    n_cyc = n - n_sub - n_deb
    ph = rng.choice(3, n_cyc, p=np.array([g1, s, g2]) / (g1 + s + g2))
    content = np.where(ph == 0, 1.0, np.where(ph == 2, 2.0, rng.uniform(1, 2, n_cyc)))
    c_all = np.concatenate(
        [content, rng.uniform(0.15, 0.7, n_sub), 0.02 + rng.exponential(0.08, n_deb)]
    )
    area = c_all * mu1 * (1 + cv * rng.standard_normal(c_all.size))
    width = 60 * (0.9 + 0.1 * c_all) * (1 + 0.04 * rng.standard_normal(c_all.size))
    nd = int(n * doublets)
    i, j = rng.integers(0, n_cyc, nd), rng.integers(0, n_cyc, nd)
    area = np.concatenate([area, area[i] + area[j]])
    width = np.concatenate([width, (width[i] + width[j]) * rng.uniform(0.8, 0.95, nd)])
    height = 60 * area / width
    m = area.size
    events = np.column_stack(
        [rng.normal(5e4, 5e3, m), rng.normal(2e4, 3e3, m), area, height, width]
    )
    truth = {
        "g1": 100 * np.mean(ph == 0),
        "s": 100 * np.mean(ph == 1),
        "g2m": 100 * np.mean(ph == 2),
        "sub_g1": 100 * (n_sub + n_deb) / n,
    }
    return events, np.arange(m) < n, truth


@pytest.fixture(scope="session")
def flowsim():
    """The simulators and writers above, for the tests of this folder."""
    return types.SimpleNamespace(
        write_float_fcs=write_float_fcs,
        write_int_fcs=write_int_fcs,
        simulate_annexin_pi=simulate_annexin_pi,
        write_apoptosis_fcs=write_apoptosis_fcs,
        spill_keyword=spill_keyword,
        simulate_dna=simulate_dna,
        SPILL=SPILL,
        APOPTOSIS_CHANNELS=APOPTOSIS_CHANNELS,
        DNA_CHANNELS=DNA_CHANNELS,
    )


@pytest.fixture(scope="session")
def data1(shared_reference):
    """GatingML 2.0 compliance file data1.fcs and its truth folder."""
    return shared_reference / "flow" / "data1.fcs"
