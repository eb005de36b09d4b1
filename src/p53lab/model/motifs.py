"""Named motifs: small functions that return the :class:`Components` of one mechanism.

Each motif names the parameters it reads; their values (with sources) are declared by the model
that uses it. Rates are in nM/h for concentrations in nM and time in hours.
"""

from __future__ import annotations

from ._model import Components, Reaction

__all__ = [
    "binding",
    "catalysed_degradation",
    "degradation",
    "maturation_delay",
    "synthesis",
    "ternary_complex",
    "transcription",
    "translation",
    "transport",
]


def synthesis(species: str, rate: str, rid: str | None = None) -> Components:
    """Zero-order production ``∅ → species`` at ``rate`` (an expression, nM/h)."""
    return Components(
        reactions=(
            Reaction(rid or f"syn_{species}", rate, products=((species, 1),), motif="synthesis"),
        )
    )


def degradation(species: str, k: str, rid: str | None = None, products: tuple = ()) -> Components:
    """First-order loss ``species → products`` with rate constant expression ``k`` (1/h)."""
    return Components(
        reactions=(
            Reaction(
                rid or f"deg_{species}",
                f"({k}) * {species}",
                reactants=((species, 1),),
                products=tuple((p, 1) for p in products),
                motif="degradation",
            ),
        )
    )


def binding(
    a: str, b: str, complex_: str, kon: str, koff: str, rid: str | None = None
) -> Components:
    """Reversible mass-action binding ``a + b ⇌ complex`` (kon in 1/(nM·h), koff in 1/h).

    At equilibrium ``[a][b]/[complex] = koff/kon = K_D``.
    """
    return Components(
        reactions=(
            Reaction(
                rid or f"bind_{complex_}",
                f"({kon}) * {a} * {b} - ({koff}) * {complex_}",
                reactants=((a, 1), (b, 1)),
                products=((complex_, 1),),
                motif="binding",
            ),
        )
    )


def catalysed_degradation(
    substrate_complex: str, released: tuple[str, ...], k: str, rid: str | None = None
) -> Components:
    """E3-catalysed degradation: the substrate in ``substrate_complex`` is ubiquitinated and
    destroyed at rate constant ``k``; the ligase (and any drug) in ``released`` comes out intact.
    """
    return Components(
        reactions=(
            Reaction(
                rid or f"ub_{substrate_complex}",
                f"({k}) * {substrate_complex}",
                reactants=((substrate_complex, 1),),
                products=tuple((r, 1) for r in released),
                motif="E3-catalysed degradation",
            ),
        )
    )


def transcription(
    mrna: str,
    activator: str,
    basal: str,
    vmax: str,
    k_half: str,
    hill_n: str,
    competence: str = "1",
    copies: str = "1",
    rid: str | None = None,
) -> Components:
    """Activator-driven transcription with Hill kinetics.

    rate = copies · (basal + competence · vmax · aⁿ/(Kⁿ + aⁿ)), with ``a`` the free activator
    (nM), ``K`` the half-activating concentration and ``n`` the Hill coefficient.
    """
    induced = f"({competence}) * ({vmax}) * hill({activator}, {k_half}, {hill_n})"
    rate = f"({copies}) * (({basal}) + {induced})"
    return Components(
        reactions=(
            Reaction(
                rid or f"tx_{mrna}",
                rate,
                products=((mrna, 1),),
                modifiers=(activator,),
                motif="transcription",
            ),
        )
    )


def translation(mrna: str, protein: str, k: str, rid: str | None = None) -> Components:
    """``mrna → mrna + protein`` at ``k``·[mrna] (proteins per mRNA per hour)."""
    return Components(
        reactions=(
            Reaction(
                rid or f"tl_{protein}",
                f"({k}) * {mrna}",
                products=((protein, 1),),
                modifiers=(mrna,),
                motif="translation",
            ),
        )
    )


def maturation_delay(
    target: str, stages: int, mean_delay_h: str, prefix: str | None = None
) -> tuple[Components, tuple[str, ...]]:
    """A distributed (gamma) delay: material fed into the first of ``stages`` intermediate pools
    reaches ``target`` after passing all of them (the producer must feed ``pools[0]``).

    Each transit has rate ``stages / mean_delay_h``, so the mean delay is ``mean_delay_h`` and
    the delay distribution is Erlang(stages) — the linear-chain trick, an ODE stand-in for a
    fixed delay that needs no history (a true ``delay()`` is also supported by the simulator).
    Returns the components and the ids of the intermediate pools, which must be declared.
    """
    if stages < 1:
        raise ValueError("maturation_delay needs at least one stage")
    prefix = prefix or f"{target}_pre"
    pools = tuple(f"{prefix}{i}" for i in range(1, stages + 1))
    chain = (*pools, target)
    k = f"{stages} / ({mean_delay_h})"
    reactions = []
    for i in range(len(chain) - 1):
        a, b = chain[i], chain[i + 1]
        reactions.append(
            Reaction(
                f"mature_{a}",
                f"({k}) * {a}",
                reactants=((a, 1),),
                products=((b, 1),),
                motif="maturation delay",
            )
        )
    return Components(reactions=tuple(reactions)), pools


def transport(
    inside: str, outside: str, k_in: str, k_out: str, rid: str | None = None
) -> Components:
    """Uptake from a fixed outside concentration (a parameter) and export:
    d inside/dt = k_in·outside − k_out·inside (permeability and efflux enter the constants)."""
    return Components(
        reactions=(
            Reaction(
                rid or f"uptake_{inside}",
                f"({k_in}) * {outside}",
                products=((inside, 1),),
                motif="transport",
            ),
            Reaction(
                f"efflux_{inside}",
                f"({k_out}) * {inside}",
                reactants=((inside, 1),),
                motif="transport",
            ),
        )
    )


def ternary_complex(
    drug: str,
    target: str,
    e3: str,
    drug_target: str,
    drug_e3: str,
    ternary: str,
    kon_t: str,
    koff_t: str,
    kon_e: str,
    koff_e: str,
    alpha: str,
    k_deg: str,
) -> Components:
    """A bifunctional degrader (Bartlett & Gilbert 2020; Douglass 2013 equilibrium).

    Binary complexes drug·target (K_T = koff_t/kon_t) and drug·E3 (K_E = koff_e/kon_e) each
    recruit the missing partner with cooperativity α (the second step's K divided by α, so
    both paths close the same thermodynamic cycle). The ternary complex ubiquitinates the
    target, which the proteasome destroys at ``k_deg``; drug and E3 are released intact, so the
    drug acts catalytically. At high drug the binary complexes outcompete the ternary one
    (hook effect).
    """
    parts = (
        binding(drug, target, drug_target, kon_t, koff_t),
        binding(drug, e3, drug_e3, kon_e, koff_e),
        binding(
            drug_target,
            e3,
            ternary,
            kon_e,
            f"({koff_e}) / ({alpha})",
            rid=f"bind_{ternary}_via_{drug_target}",
        ),
        binding(
            drug_e3,
            target,
            ternary,
            kon_t,
            f"({koff_t}) / ({alpha})",
            rid=f"bind_{ternary}_via_{drug_e3}",
        ),
        catalysed_degradation(ternary, (drug, e3), k_deg, rid=f"ub_{target}_by_{e3}"),
    )
    out = Components()
    for p in parts:
        out = out + p
    return out
