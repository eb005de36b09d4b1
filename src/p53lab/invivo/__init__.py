"""In vivo and in the clinic: PK and regimens, xenografts, platelets, clonal haematopoiesis and
virtual trials, each driven by the p53 circuit of :mod:`p53lab.model`.

Parameters (with a source per value, estimated ones marked) are in ``parameters.yaml``.
"""

from .clonal import ClonalResult, run_clonal
from .pathway import ActivityTrace, exposure_response, pathway_activity, pk_cell_model
from .pk import (
    Dose,
    PKParams,
    bateman,
    concentrations,
    pk_params,
    sample_population,
    simulate_amounts,
    two_compartment_iv_bolus,
)
from .platelets import PlateletResult, ctcae_grade, friberg, run_platelets
from .regimens import SCHEDULES, Regimen
from .trial import TrialResult, run_trial
from .xenograft import Group, XenograftResult, kill_rate, run_xenograft, simeoni_volumes

__all__ = [
    "SCHEDULES",
    "ActivityTrace",
    "ClonalResult",
    "Dose",
    "Group",
    "PKParams",
    "PlateletResult",
    "Regimen",
    "TrialResult",
    "XenograftResult",
    "bateman",
    "concentrations",
    "ctcae_grade",
    "exposure_response",
    "friberg",
    "kill_rate",
    "pathway_activity",
    "pk_cell_model",
    "pk_params",
    "run_clonal",
    "run_platelets",
    "run_trial",
    "run_xenograft",
    "sample_population",
    "simeoni_volumes",
    "simulate_amounts",
    "two_compartment_iv_bolus",
]
