"""Western blot densitometry from images, and normalisation of band tables.

From a TIFF (8/16-bit) or PNG scan: lanes from the column profile, background by a rolling ball
(Sternberg 1983) or a lane-wise baseline, band rows shared by all lanes, integrated intensities,
saturation flags, and ratios to a loading control and to the vehicle lane (Gassmann et al.
2009). Tables quantified elsewhere (``lane, target, intensity[, label]``) are normalised the
same way.

>>> from p53lab import blot
>>> res = blot.quantify("blot.tif", lanes=6, rows=["MDM2", "p53", "GAPDH"],
...                     loading_control="GAPDH")                       # doctest: +SKIP
>>> res.wide()        # one row per lane, one column per target   # doctest: +SKIP
>>> blot.figure(res, blot.read_image("blot.tif"), "blot.png")          # doctest: +SKIP
"""

from .figures import figure, plot, plot_image
from .image import BlotImage, from_array, read_image
from .quantify import BACKGROUNDS, LANE_LAYOUTS, BlotResult, quantify
from .tables import NormalisedBlot, normalise, read_band_table

__all__ = [
    "BACKGROUNDS",
    "LANE_LAYOUTS",
    "BlotImage",
    "BlotResult",
    "NormalisedBlot",
    "figure",
    "from_array",
    "normalise",
    "plot",
    "plot_image",
    "quantify",
    "read_band_table",
    "read_image",
]
