"""p53lab: an open laboratory for MDM2–p53 cancer drugs."""

from ._version import __version__
from .errors import P53labError

__all__ = ["P53labError", "__version__"]
