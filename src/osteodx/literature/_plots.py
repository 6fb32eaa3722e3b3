"""The four review plots (matplotlib, Agg backend): age, primary sites, lesion types, Kaplan-Meier.

The Kaplan-Meier curve (lifelines) uses ``outcome.follow_up_months`` with death as the event and
every other patient censored at the reported follow-up; patients without a follow-up time are left
out (their number is printed on the plot). Follow-up anchors differ between reports (diagnosis,
surgery, metastasis), so the curve describes reported follow-up, not survival from one origin.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from osteodx.literature._errors import LibraryError
from osteodx.literature._record import LibraryCase

__all__ = ["PLOT_NAMES", "write_plots"]

PLOT_NAMES: tuple[str, ...] = ("age_distribution", "primary_sites", "lesion_types", "kaplan_meier")
FORMATS = ("png", "svg")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import pyplot as plt

    return plt


def _bar(ax: Any, counts: Counter[str], title: str, n: int) -> None:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    labels = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    ax.barh(labels, values, color="#4C72B0")
    ax.set_xlabel("patients")
    ax.set_title(f"{title} (n = {n})")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v}", va="center", fontsize=8)


def write_plots(
    records: Sequence[LibraryCase], out_dir: Path, formats: Sequence[str] = FORMATS
) -> tuple[Path, ...]:
    """Write the four plots into ``out_dir`` in each format; returns the files written."""
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise LibraryError(f"--format: {bad[0]!r} is not a plot format", "use png and/or svg")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryError(
            f"--out: cannot create {out_dir} ({exc.strerror})", "give a writable folder"
        ) from None
    plt = _pyplot()
    n = len(records)
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        fig.tight_layout()
        for fmt in formats:
            path = out_dir / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, dpi=120, metadata=_metadata(fmt))
            written.append(path)
        plt.close(fig)

    ages = [r.age for r in records if r.age is not None]
    fig, ax = plt.subplots(figsize=(6, 4))
    if ages:
        ax.hist(ages, bins=range(0, 101, 10), color="#4C72B0", edgecolor="white")
    ax.set_xlabel("age at presentation, years")
    ax.set_ylabel("patients")
    ax.set_title(f"Age (n = {len(ages)} of {n} with age)")
    save(fig, "age_distribution")

    primaries: Counter[str] = Counter(r.primary_site or "not reported" for r in records)
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.3 * len(primaries) + 1)))
    _bar(ax, primaries, "Primary site", n)
    save(fig, "primary_sites")

    lesions: Counter[str] = Counter(r.bone_lesion_type or "not reported" for r in records)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    _bar(ax, lesions, "Bone lesion type", n)
    save(fig, "lesion_types")

    save(_kaplan_meier(plt, records), "kaplan_meier")
    return tuple(written)


def _metadata(fmt: str) -> dict[str, Any]:
    # Reproducible files: no creation date in the output.
    return {"Date": None} if fmt == "svg" else {"Software": None}


def _kaplan_meier(plt: Any, records: Sequence[LibraryCase]) -> Any:
    timed = [r for r in records if r.outcome.follow_up_months is not None]
    left_out = len(records) - len(timed)
    fig, ax = plt.subplots(figsize=(7, 5))
    title = f"Reported follow-up (n = {len(timed)}; {left_out} without follow-up time left out)"
    if not timed:
        ax.text(0.5, 0.5, "no patient with a follow-up time", ha="center", transform=ax.transAxes)
        ax.set_title(title)
        return fig
    from lifelines import KaplanMeierFitter  # type: ignore[import-untyped]
    from lifelines.plotting import add_at_risk_counts  # type: ignore[import-untyped]

    kmf = KaplanMeierFitter(label="published patients")
    kmf.fit(
        [r.outcome.follow_up_months for r in timed],
        event_observed=[r.outcome.status == "dead" for r in timed],
    )
    kmf.plot_survival_function(ax=ax, ci_show=True, show_censors=True)
    ax.set_xlabel("months of reported follow-up")
    ax.set_ylabel("probability alive")
    ax.set_ylim(0, 1.05)
    ax.set_title(title, fontsize=10)
    add_at_risk_counts(kmf, ax=ax, rows_to_show=["At risk"])
    return fig
