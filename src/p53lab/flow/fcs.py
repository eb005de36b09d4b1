"""FCS 2.0 / 3.0 / 3.1 list-mode files: read, decode, write.

The HEADER and TEXT segments are parsed by FlowIO (``flowio.FlowData(..., only_text=True)``),
so keyword handling (delimiters, escaped delimiters, encodings, the ``$`` prefix, lower-cased
keys) is exactly FlowIO's and FlowKit's. The DATA segment is read here with one
``numpy.fromfile`` call in the file's byte order: FlowIO builds a Python ``array`` and FlowKit
then copies it into NumPy, which costs seconds on files of millions of events.

Decoding (the values FlowKit calls "raw", FCS 3.1 §3.3.26–3.3.29), per channel ``n`` with
stored value ``c``, range ``R = $PnR``, ``$PnE = f1,f2`` and gain ``G = $PnG``::

    integer data:  c ← c AND (2^⌈log2 R⌉ − 1)          (bits above the range are ignored)
    log channels:  v = f2 · 10^(f1 · c / R)              (f1 > 0; f2 = 0 is read as 1)
    linear:        v = c
    gain:          v ← v / G                             (G ≠ 0, 1; the time channel keeps G = 1)
    time channel:  v ← v · $TIMESTEP                     (when both are present)

Channel names may be given as ``$PnN`` (short name, e.g. ``FL2-H``) or ``$PnS`` (stain or
marker, e.g. ``CD8 B PE``); lookup is exact first, then case-insensitive.

Reference: Spidlen J et al. (2010) Data File Standard for Flow Cytometry, version FCS 3.1.
Cytometry A 77:97–100. FlowIO: White S et al., github.com/whitews/FlowIO.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, ParameterError

__all__ = ["FcsData", "FcsWarning", "read_fcs", "write_fcs"]

_HEADER_BYTES = 58
_LITTLE = {"1,2,3,4", "1,2", "1", "1,2,3,4,5,6,7,8"}
_BIG = {"4,3,2,1", "2,1", "8,7,6,5,4,3,2,1"}


class FcsWarning(UserWarning):
    """An FCS file was read, but something in it deserves a look (named in the message)."""


@dataclasses.dataclass(frozen=True, eq=False)
class FcsData:
    """One FCS data set, decoded to linear channel values (see the module docstring).

    ``events`` is an ``(n_events, n_channels)`` float64 array in file order, read-only.
    ``keywords`` holds every TEXT keyword, lower-cased and without ``$`` (FlowIO's convention:
    ``$SPILLOVER`` → ``"spillover"``, ``$P1N`` → ``"p1n"``).
    """

    source: str
    version: str
    pnn: tuple[str, ...]
    pns: tuple[str, ...]
    ranges: tuple[float, ...]
    events: np.ndarray = dataclasses.field(repr=False)
    keywords: Mapping[str, str] = dataclasses.field(repr=False, default_factory=dict)

    @property
    def n_events(self) -> int:
        return int(self.events.shape[0])

    @property
    def n_channels(self) -> int:
        return len(self.pnn)

    @property
    def name(self) -> str:
        """The file name without folders (for messages and tables)."""
        return Path(self.source).name

    def channel_list(self) -> str:
        """Every channel as ``PnN (PnS)``, for messages."""
        return ", ".join(
            f"{n} ({s})" if s and s != n else n for n, s in zip(self.pnn, self.pns, strict=True)
        )

    def index(self, channel: str | int) -> int:
        """Column index of a channel given by ``$PnN``, ``$PnS`` or 0-based index."""
        if isinstance(channel, int | np.integer) and not isinstance(channel, bool):
            if 0 <= int(channel) < self.n_channels:
                return int(channel)
            raise ParameterError(
                f"Channel index {channel} is outside {self.name}, which has {self.n_channels} "
                f"channels (0 to {self.n_channels - 1}): {self.channel_list()}."
            )
        name = str(channel)
        for labels in (self.pnn, self.pns):
            hits = [i for i, lab in enumerate(labels) if lab == name]
            if len(hits) == 1:
                return hits[0]
        low = name.strip().lower()
        hits = sorted(
            {
                i
                for labels in (self.pnn, self.pns)
                for i, lab in enumerate(labels)
                if lab.strip().lower() == low and lab
            }
        )
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise ParameterError(
                f"Channel name {name!r} matches several channels of {self.name} "
                f"({', '.join(self.pnn[i] for i in hits)}); give the $PnN name."
            )
        raise ParameterError(
            f"Channel {name!r} is not in {self.name}. Channels ($PnN (PnS)): "
            f"{self.channel_list()}. Give one of these names."
        )

    def column(self, channel: str | int) -> np.ndarray:
        """Decoded values of one channel (a read-only view)."""
        return self.events[:, self.index(channel)]

    def with_events(self, events: np.ndarray) -> FcsData:
        """A copy holding other values for the same channels (e.g. compensated)."""
        events = np.asarray(events, dtype=np.float64)
        if events.shape != self.events.shape:
            raise ParameterError(
                f"New events for {self.name} must have shape {self.events.shape}. "
                f"Got {events.shape} instead."
            )
        events.setflags(write=False)
        return dataclasses.replace(self, events=events)

    def to_dataframe(self):
        """The events as a DataFrame with ``$PnN`` column names, in file order."""
        import pandas as pd

        return pd.DataFrame(self.events, columns=list(self.pnn))


# ---- reading -------------------------------------------------------------------------------


def _int(text: bytes | str) -> int:
    s = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    s = s.strip()
    return int(s) if s else 0


def _parse_header(path: str, fh, size: int) -> dict:
    # The HEADER is a fixed 58-byte ASCII layout (FCS 3.1 §3.1). It is read here, before FlowIO,
    # only so that a truncated file gets a message with the expected and found sizes: FlowIO
    # stops at the first inconsistency with a message that names neither.
    raw = fh.read(_HEADER_BYTES)
    if len(raw) < 6 or not raw.startswith(b"FCS"):
        raise FileFormatError(
            f"{path}: not an FCS file (it does not start with 'FCS2.0', 'FCS3.0' or 'FCS3.1'; "
            f"first bytes {raw[:10]!r}). Export the data as FCS from the acquisition software."
        )
    if len(raw) < _HEADER_BYTES:
        raise FileFormatError(
            f"{path}: the file is truncated inside its HEADER: {_HEADER_BYTES} bytes expected, "
            f"{size} found. Copy the file again from the instrument."
        )
    try:
        fields = [_int(raw[a : a + 8]) for a in range(10, 58, 8)]
    except ValueError:
        raise FileFormatError(
            f"{path}: the HEADER offsets (bytes 10–57) are not numbers: {raw[10:58]!r}."
        ) from None
    text_start, text_stop, data_start, data_stop = fields[:4]
    hdr = {
        "version": raw[3:6].decode("ascii", "replace"),
        "text_start": text_start,
        "text_stop": text_stop,
        "data_start": data_start,
        "data_stop": data_stop,
    }
    if text_stop >= size:
        raise FileFormatError(
            f"{path}: the file is truncated: its HEADER puts the TEXT segment at bytes "
            f"{text_start}–{text_stop}, so at least {text_stop + 1} bytes are expected, but the "
            f"file has {size}. Copy the file again from the instrument."
        )
    if data_stop >= size:
        raise _truncated(path, data_start, data_stop, size)
    return hdr


def _truncated(path: str, start: int, stop: int, size: int) -> FileFormatError:
    return FileFormatError(
        f"{path}: the file is truncated: the DATA segment should span bytes {start}–{stop}, so "
        f"{stop + 1} bytes are expected, but the file has {size} ({stop + 1 - size} missing). "
        "Copy the file again from the instrument."
    )


def _flowio_text(path: str):
    import flowio
    from flowio.exceptions import DataOffsetDiscrepancyError, FCSParsingError

    def parse(use_header_offsets: bool):
        # FlowIO closes the handle it is given; nextdata_offset=0 reads the first data set of a
        # multi-data-set file instead of raising
        return flowio.FlowData(
            open(path, "rb"),  # FlowData closes it
            only_text=True,
            nextdata_offset=0,
            use_header_offsets=use_header_offsets,
        )

    try:
        return parse(False)
    except DataOffsetDiscrepancyError as exc:
        raise FileFormatError(
            f"{path}: the HEADER and the TEXT ($BEGINDATA/$ENDDATA) disagree on where the DATA "
            f"segment is ({exc}). The file was probably edited by hand; re-export it."
        ) from None
    except FCSParsingError:
        # FlowIO checks $ENDDATA against the file size; a file larger than 99,999,999 bytes has
        # zeros in its HEADER, so re-read the TEXT through the HEADER path and judge it below.
        try:
            return parse(True)
        except Exception as exc:  # any parser failure is a format problem
            raise FileFormatError(f"{path}: the TEXT segment cannot be parsed ({exc}).") from None
    except KeyError as exc:
        key = str(exc.args[0]) if exc.args else "?"
        raise FileFormatError(
            f"{path}: the required TEXT keyword ${key.upper()} is missing. The file is not a "
            "valid list-mode FCS file."
        ) from None
    except Exception as exc:  # FlowIO raises ValueError, UnicodeError, ...
        raise FileFormatError(f"{path}: the TEXT segment cannot be parsed ({exc}).") from None


def _require(path: str, text: Mapping[str, str], key: str) -> str:
    try:
        return text[key]
    except KeyError:
        raise FileFormatError(
            f"{path}: the required TEXT keyword ${key.upper()} is missing. The file is not a "
            "valid list-mode FCS file."
        ) from None


def _next_pow2(x: int) -> int:
    return 1 if x <= 0 else 1 << (int(x) - 1).bit_length()


def read_fcs(path: str | os.PathLike) -> FcsData:
    """Read an FCS 2.0/3.0/3.1 list-mode file and decode it (``$PnE``, ``$PnG``, ``$TIMESTEP``).

    Raises :class:`~p53lab.errors.FileFormatError` naming the file and the place for a file
    that is not FCS, truncated (with the expected and found sizes), or uses a layout this reader
    does not decode (ASCII data, packed bit widths, mixed byte orders).
    """
    path = os.fspath(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        hdr = _parse_header(path, fh, size)
        fd = _flowio_text(path)
        text = fd.text
        n_par = _int(_require(path, text, "par"))
        n_ev = _int(_require(path, text, "tot"))
        datatype = _require(path, text, "datatype").strip().upper()
        mode = text.get("mode", "L").strip().upper()
        if mode != "L":
            raise FileFormatError(
                f"{path}: $MODE is {mode!r}; only list-mode ('L') data can be analysed."
            )
        if fd.version == "2.0" or "begindata" not in text:
            start, stop = hdr["data_start"], hdr["data_stop"]
        else:
            start, stop = _int(text["begindata"]), _int(text.get("enddata", "0"))
        if n_ev > 0 and stop >= size:
            raise _truncated(path, start, stop, size)
        dtype, widths = _data_dtype(path, text, n_par, datatype)
        nbytes = n_ev * dtype.itemsize
        seg = stop - start + 1 if n_ev > 0 else 0
        if seg < nbytes:
            if start + nbytes > size:
                raise FileFormatError(
                    f"{path}: the file is truncated: $TOT = {n_ev} events of {dtype.itemsize} "
                    f"bytes need {nbytes} bytes of DATA from byte {start}, so {start + nbytes} "
                    f"bytes are expected, but the file has {size}. Copy the file again."
                )
            raise FileFormatError(
                f"{path}: the DATA segment (bytes {start}–{stop}, {seg} bytes) is shorter than "
                f"$TOT = {n_ev} events × {dtype.itemsize} bytes = {nbytes} bytes."
            )
        if seg > nbytes + 1:  # one extra byte is a common off-by-one in $ENDDATA; say nothing
            warnings.warn(
                f"{path}: the DATA segment holds {seg} bytes but $TOT = {n_ev} events need "
                f"{nbytes}; the first {n_ev} events are read.",
                FcsWarning,
                stacklevel=2,
            )
        fh.seek(start)
        raw = np.fromfile(fh, dtype=dtype, count=n_ev)
    if text.get("nextdata", "0").strip().lstrip("0") not in ("", "."):
        warnings.warn(
            f"{path}: the file holds more than one data set ($NEXTDATA); the first is read.",
            FcsWarning,
            stacklevel=2,
        )
    channels = [fd.channels[i] for i in range(1, n_par + 1)]
    events = _decode(raw, dtype, widths, channels, text, fd.time_index)
    events.setflags(write=False)
    return FcsData(
        source=path,
        version=fd.version,
        pnn=tuple(str(c["pnn"]) for c in channels),
        pns=tuple(str(c["pns"]) for c in channels),
        ranges=tuple(float(c["pnr"]) for c in channels),
        events=events,
        keywords=dict(text),
    )


def _data_dtype(path: str, text: Mapping[str, str], n_par: int, datatype: str):
    order = text.get("byteord", "1,2,3,4").replace(" ", "")
    if order in _LITTLE:
        bo = "<"
    elif order in _BIG:
        bo = ">"
    else:
        raise FileFormatError(
            f"{path}: $BYTEORD {order!r} is a mixed byte order this reader does not decode "
            "(supported: 1,2,3,4 and 4,3,2,1). Re-export the file from FlowJo or the instrument."
        )
    if datatype in ("F", "D"):
        code = "f4" if datatype == "F" else "f8"
        return np.dtype((np.dtype(bo + code), (n_par,))), None
    if datatype == "A":
        raise FileFormatError(
            f"{path}: $DATATYPE is 'A' (ASCII numbers); this reader decodes binary data only "
            "(I, F, D). Re-export the file as FCS 3.0 or 3.1."
        )
    if datatype != "I":
        raise FileFormatError(
            f"{path}: $DATATYPE {datatype!r} is not one of I, F, D (FCS 3.1 §3.2.10)."
        )
    widths = []
    for i in range(1, n_par + 1):
        b = _require(path, text, f"p{i}b").strip()
        try:
            w = int(b)
        except ValueError:
            raise FileFormatError(
                f"{path}: $P{i}B is {b!r}; integer data needs a bit width (8, 16, 32 or 64)."
            ) from None
        if w not in (8, 16, 32, 64):
            raise FileFormatError(
                f"{path}: $P{i}B = {w} bits; only byte-aligned integers (8, 16, 32, 64) are "
                "decoded. Re-export the file as FCS 3.1."
            )
        widths.append(w)
    if len(set(widths)) == 1:
        return np.dtype((np.dtype(f"{bo}u{widths[0] // 8}"), (n_par,))), widths
    fields = [(f"c{i}", f"{bo}u{w // 8}") for i, w in enumerate(widths)]
    return np.dtype(fields), widths


def _decode(raw, dtype, widths, channels, text, time_index) -> np.ndarray:
    n_par = len(channels)
    # mixed integer widths arrive as a structured array, one field per channel
    cols = [raw[name] for name in dtype.names] if dtype.names else None
    if widths is not None:
        masks = []
        for w, c in zip(widths, channels, strict=True):
            limit = min(1 << w, _next_pow2(int(c["pnr"])))
            masks.append(limit - 1 if limit < (1 << w) else None)
        if cols is None and any(m is not None for m in masks):
            full = [m if m is not None else (1 << widths[0]) - 1 for m in masks]
            raw = raw & np.array(full, dtype=raw.dtype)
        elif cols is not None:
            cols = [col & m if m is not None else col for col, m in zip(cols, masks, strict=True)]
    events = np.empty((len(raw), n_par)) if cols is not None else raw.astype(np.float64)
    if cols is not None:
        for i, col in enumerate(cols):
            events[:, i] = col
    for i, c in enumerate(channels):
        decades, log0 = c["pne"]
        if decades > 0:
            events[:, i] = log0 * 10.0 ** (decades * events[:, i] / float(c["pnr"]))
        gain = float(c["png"])
        if gain not in (0.0, 1.0) and i != time_index:
            events[:, i] /= gain
    if time_index is not None and "timestep" in text:
        try:
            step = float(text["timestep"]) if text["timestep"].strip() else 1.0
        except ValueError:
            step = math.nan
        if math.isfinite(step):
            events[:, time_index] *= step
    return events


# ---- writing -------------------------------------------------------------------------------


def write_fcs(
    path: str | os.PathLike,
    events: np.ndarray,
    channels: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    spillover=None,
    keywords: Mapping[str, str] | None = None,
) -> Path:
    """Write events as an FCS 3.1 file (32-bit float, little-endian) through FlowIO's writer.

    ``spillover`` (a :class:`~p53lab.flow.compensation.Spillover`) is stored as ``$SPILLOVER``;
    ``keywords`` are added as given (``$`` standard keywords or instrument ones). Values are
    written as float32, so they are rounded to about 7 significant digits.
    """
    import flowio

    ev = np.asarray(events, dtype=np.float32)
    if ev.ndim != 2 or ev.shape[1] != len(channels):
        raise ParameterError(
            f"write_fcs needs events of shape (n_events, {len(channels)}) for the channels "
            f"{list(channels)}. Got {ev.shape} instead."
        )
    meta = dict(keywords or {})
    if spillover is not None:
        meta["$SPILLOVER"] = spillover.to_keyword()
    buf = array("f")
    buf.frombytes(np.ascontiguousarray(ev).tobytes())  # flowio writes an array('f') as is
    path = Path(path)
    with open(path, "wb") as fh:
        flowio.create_fcs(
            fh,
            buf,
            list(channels),
            opt_channel_names=list(labels) if labels is not None else None,
            metadata_dict=meta,
        )
    return path
