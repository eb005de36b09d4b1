"""Structure-based screening of the MDM2 p53 pocket.

Library → standardise → filter profile → hot-spot pharmacophore → Vina docking → ranked hits,
and the metrics that say whether the ranking is any good.

- Library I/O (:func:`read_library`, :func:`standardise`): SMILES, CSV, SDF (gzip), streamed.
- Filters (:data:`PROFILES`, :func:`filter_library`, :func:`clinical_losses`):
  ``lipinski-veber`` (the screening guide's filter exactly), ``ppi`` (beyond rule of 5,
  Doak 2014), ``pains``, ``none``, or :func:`custom_profile`. The guide's filter throws away
  the clinical MDM2 inhibitors (DOMAIN §7); ``ppi`` keeps them.
- Pharmacophore (:func:`derive_pharmacophore`): Phe19/Trp23/Leu26 points from a co-crystal
  pose; 2-D prefilter, 3-D conformer matching, pose fit.
- Overlay stage (:func:`shape_overlay`, :func:`protonate`): conformers overlaid on the
  co-crystal ligand by shape and colour, then optimised in place by Vina
  (``run_screen(stage1="overlay")``), about 1 core-second per molecule before any docking.
- Docking (:func:`prepare_receptor`, :func:`prepare_ligand`, :class:`Docker`,
  :func:`run_screen`, :func:`redock`): PDBFixer + Meeko + molscrub + AutoDock Vina; maps once
  per receptor; chunks through an injected executor, resumable.
- Evaluation (:func:`evaluate`, :func:`roc_auc`, :func:`enrichment_factor`, :func:`bedroc`,
  :func:`plot_enrichment`).
"""

from ._dock import (
    Box,
    Docker,
    DockSettings,
    Receptor,
    box_from_ligand,
    check_box,
    dock_naive,
    docker_for,
    pose_contacts,
    poses_to_mol,
    prepare_ligand,
    prepare_receptor,
)
from ._evaluate import EvaluationResult, evaluate, mw_scores, plot_enrichment, read_actives
from ._filters import (
    DESCRIPTORS,
    PROFILES,
    Profile,
    Rule,
    apply_profile,
    custom_profile,
    descriptors,
    get_profile,
    pains_matches,
)
from ._library import Record, StandardisedMolecule, iter_chunks, read_library, standardise
from ._metrics import BEDROC_ALPHA, bedroc, enrichment_factor, roc_auc, roc_curve
from ._overlay import Overlay, protonate, shape_overlay
from ._pharmacophore import (
    MDM2_SUBPOCKETS,
    Pharmacophore,
    PharmacophorePoint,
    derive_pharmacophore,
    load_ligand,
    mdm2_residue_offset,
)
from ._pipeline import (
    DockChunk,
    FilterReport,
    PrefilterChunk,
    RedockResult,
    ScreenProgress,
    ScreenReport,
    clinical_losses,
    consensus_rank,
    dock_chunk,
    filter_library,
    filter_molecule,
    hit_rank,
    overlay_and_place,
    prefilter_chunk,
    redock,
    run_screen,
)

__all__ = [
    "BEDROC_ALPHA",
    "DESCRIPTORS",
    "MDM2_SUBPOCKETS",
    "PROFILES",
    "Box",
    "DockChunk",
    "DockSettings",
    "Docker",
    "EvaluationResult",
    "FilterReport",
    "Overlay",
    "Pharmacophore",
    "PharmacophorePoint",
    "PrefilterChunk",
    "Profile",
    "Receptor",
    "Record",
    "RedockResult",
    "Rule",
    "ScreenProgress",
    "ScreenReport",
    "StandardisedMolecule",
    "apply_profile",
    "bedroc",
    "box_from_ligand",
    "check_box",
    "clinical_losses",
    "consensus_rank",
    "custom_profile",
    "derive_pharmacophore",
    "descriptors",
    "dock_chunk",
    "dock_naive",
    "docker_for",
    "enrichment_factor",
    "evaluate",
    "filter_library",
    "filter_molecule",
    "get_profile",
    "hit_rank",
    "iter_chunks",
    "load_ligand",
    "mdm2_residue_offset",
    "mw_scores",
    "overlay_and_place",
    "pains_matches",
    "plot_enrichment",
    "pose_contacts",
    "poses_to_mol",
    "prefilter_chunk",
    "prepare_ligand",
    "prepare_receptor",
    "protonate",
    "read_actives",
    "read_library",
    "redock",
    "roc_auc",
    "roc_curve",
    "run_screen",
    "shape_overlay",
    "standardise",
]
