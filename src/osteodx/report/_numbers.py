"""How probabilities are written for a reader: one formatter for every output, and the observed
accuracy of the band a top diagnosis falls in."""

from __future__ import annotations

from osteodx.knowledge import calibration

__all__ = ["band_sentence", "probability_text"]

# Above this, a posterior is written as a band: on development cases such top diagnoses were not
# right as often as "99.96 %" says (knowledge/data/calibration.yaml).
CERTAIN = 0.95


def probability_text(p: float) -> str:
    """'> 95%', '42%', '3.5%' or '<0.1%'."""
    if p >= CERTAIN:
        return f"> {CERTAIN:.0%}"
    if p < 0.001:
        return "<0.1%"
    return f"{100 * p:.1f}%" if p < 0.1 else f"{100 * p:.0f}%"


def band_sentence(p: float) -> str:
    """What a top diagnosis at probability ``p`` has been worth on development cases."""
    table = calibration()
    band = table.band_of(p)
    if band is None or band.of == 0:
        return ""
    low, high = f"{band.low:.0%}", f"{band.high:.0%}"
    return (
        f"On {table.cases} published patients used in development, a top diagnosis at "
        f"{low}-{high} was right in {band.right} of {band.of}."
    )
