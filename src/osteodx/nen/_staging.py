"""Distant-metastasis category and stage group of a metastatic NEN (AJCC/UICC 8th, GEP-NET)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from osteodx.nen._classify import NenClassification, NenWarning
from osteodx.nen._load import name_key, staging

__all__ = ["NenStaging", "stage_distant"]


class NenStaging(BaseModel):
    """How the distant disease of a NEN is staged, and with which system.

    ``applies`` is False when the AJCC NET chapter does not stage this tumour (NEC, MiNEN,
    lung/thymus, other organs); ``statement`` then says which system to use. ``m`` is the
    GEP-NET M category (``m_equivalent`` True for an unknown primary, where it is a description
    by convention); ``stage`` is 'IV' for any M1.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str
    applies: bool
    t: str | None = None
    m: Literal["M0", "M1a", "M1b", "M1c"] | None = None
    m_equivalent: bool = False
    m_definition: str | None = None
    stage: str | None = None
    hepatic_sites: tuple[str, ...] = ()
    extrahepatic_sites: tuple[str, ...] = ()
    statement: str
    source: str | None
    convention: str | None = None
    convention_source: str | None = None
    warnings: tuple[NenWarning, ...] = ()


def stage_distant(classification: NenClassification, metastases: Iterable[str]) -> NenStaging:
    """M category (M0/M1a/M1b/M1c) and stage for the distant metastatic sites of a NEN.

    ``metastases`` are distant sites as typed ('liver', 'bone', 'lymph_nodes' = non-regional
    nodes, 'lung', 'peritoneum' ...). Liver-only is M1a, extrahepatic-only M1b, both M1c.

    >>> from osteodx.nen import NenPathology, classify
    >>> c = classify(NenPathology(site="ileum", differentiation="well", ki67_percent=10))
    >>> stage_distant(c, ["liver", "bone"]).m
    'M1c'
    """
    data = staging()
    sites = tuple(s.strip() for s in metastases if s and s.strip())
    hepatic_keys = {name_key(h) for h in data.hepatic_sites}
    hepatic = tuple(s for s in sites if name_key(s) in hepatic_keys)
    extra = tuple(s for s in sites if name_key(s) not in hepatic_keys)

    if classification.family in ("NEC", "MiNEN"):
        s = data.carcinoma_of_organ
        organ = "exocrine pancreas" if classification.site == "pancreas" else classification.site
        return NenStaging(
            system=f"carcinoma TNM of the organ ({organ})",
            applies=False,
            statement=s.statement,
            source=s.source,
            hepatic_sites=hepatic,
            extrahepatic_sites=extra,
        )
    if classification.family in ("non_NEN", "undetermined"):
        return NenStaging(
            system="not determined",
            applies=False,
            statement=(
                "The tumour is not classified as a NET; the NET staging chapters do not apply."
            ),
            source=data.gep_net.source,
            hepatic_sites=hepatic,
            extrahepatic_sites=extra,
        )
    if classification.system == "thoracic":
        s = data.thoracic
        return NenStaging(
            system="lung/thymus carcinoma TNM",
            applies=False,
            statement=s.statement,
            source=s.source,
            hepatic_sites=hepatic,
            extrahepatic_sites=extra,
        )
    if classification.system == "other":
        s = data.other_system
        return NenStaging(
            system="TNM of the organ",
            applies=False,
            statement=s.statement,
            source=s.source,
            hepatic_sites=hepatic,
            extrahepatic_sites=extra,
        )

    net = data.gep_net
    m: Literal["M0", "M1a", "M1b", "M1c"]
    if hepatic and extra:
        m, definition = "M1c", net.m1c
    elif hepatic:
        m, definition = "M1a", net.m1a
    elif extra:
        m, definition = "M1b", net.m1b
    else:
        m, definition = "M0", "no distant metastasis"
    unknown = classification.site == "unknown"
    warnings: tuple[NenWarning, ...] = ()
    stage: str | None = "IV" if m != "M0" else None
    if m == "M0":
        warnings = (
            NenWarning(
                code="stage_needs_t_and_n",
                message="Without distant metastases the stage group needs the T and N categories.",
                source=net.source,
            ),
        )
    return NenStaging(
        system=net.name,
        applies=True,
        t="TX" if unknown else None,
        m=m,
        m_equivalent=unknown,
        m_definition=definition,
        stage=stage,
        statement=net.stage_iv.statement if stage else definition,
        source=net.stage_iv.source if stage else net.source,
        convention=data.unknown_primary.statement if unknown else None,
        convention_source=data.unknown_primary.source if unknown else None,
        warnings=warnings,
        hepatic_sites=hepatic,
        extrahepatic_sites=extra,
    )
