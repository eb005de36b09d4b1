"""Column-name constants shared by files, tables and the command line.

One module holds every column name so that readers, writers and tests cannot drift apart.
"""

TIME_H = "time_h"
TIME = "time"  # SBML output: the model's own time unit

# Observables of the core circuit (nM)
P53_TOTAL = "p53_total_nM"
P53_FREE = "p53_free_nM"
MDM2_TOTAL = "mdm2_total_nM"
MDMX_TOTAL = "mdmx_total_nM"
P21 = "p21_nM"
PUMA = "puma_nM"
BAX = "bax_nM"
GDF15 = "gdf15_nM"
P21_MRNA = "p21_mrna_nM"
MDM2_MRNA = "mdm2_mrna_nM"
PUMA_MRNA = "puma_mrna_nM"
BAX_MRNA = "bax_mrna_nM"
GDF15_MRNA = "gdf15_mrna_nM"
DRUG_FREE = "drug_free_nM"

CORE_OUTPUTS = (P53_TOTAL, MDM2_TOTAL, MDMX_TOTAL, P21, PUMA)

STATUS = "status"
MESSAGE = "message"

# Western blot table
COMPOUND = "compound"
CONC_NM = "conc_nM"
PROTEIN = "protein"
REL_VEHICLE = "relative_to_vehicle"
LOADING_CONTROL = "loading_control"
BAND_INTENSITY = "band_intensity"
NORMALISED = "normalised_to_loading"
