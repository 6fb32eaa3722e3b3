"""Probabilities as a reader sees them: near-certainty shown as a band, with its observed record."""

from __future__ import annotations

import pytest

from osteodx.knowledge import calibration
from osteodx.report._numbers import band_sentence, probability_text


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.9996, "> 95%"),
        (0.95, "> 95%"),
        (0.949, "95%"),
        (0.42, "42%"),
        (0.035, "3.5%"),
        (0.0004, "<0.1%"),
    ],
)
def test_probabilities_above_95_percent_are_shown_as_a_band(p: float, text: str) -> None:
    assert probability_text(p) == text


def test_the_calibration_bands_cover_every_probability_with_counts() -> None:
    table = calibration()
    for p in (0.0, 0.3, 0.5, 0.8, 0.94, 0.95, 0.999, 1.0):
        band = table.band_of(p)
        assert band is not None and 0 <= band.right <= band.of
    assert sum(b.of for b in table.bands) == table.cases


def test_the_band_sentence_gives_the_observed_record_of_the_band() -> None:
    band = calibration().band_of(0.99)
    assert band is not None
    sentence = band_sentence(0.99)
    assert f"right in {band.right} of {band.of}" in sentence and "95%-100%" in sentence
