"""Published-case library: store, import, similar patients, literature-review tables and plots.

The library ships the curated NEN case library (``data/cases.jsonl``, each patient with the
publication it was read from) and seeds every new library with it. Decision support for clinicians
and researchers, not a medical device.

>>> from osteodx.literature import open_library, similar_to_case  # doctest: +SKIP
>>> lib = open_library()  # SQLite in the user data folder, or OSTEODX_DB  # doctest: +SKIP
>>> similar_to_case(lib, case, grade="G2", ki67_percent=10)[0].case_id  # doctest: +SKIP
'nen-001'
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from osteodx.literature._errors import LibraryError, RecordProblem
    from osteodx.literature._features import Profile, profile_from_case, profile_from_record
    from osteodx.literature._filters import FILTER_FIELDS, Filter, apply_filters, parse_filter
    from osteodx.literature._location import ENV_VAR, default_url
    from osteodx.literature._plots import PLOT_NAMES, write_plots
    from osteodx.literature._readers import CSV_COLUMNS, FORMATS, read_records
    from osteodx.literature._record import Citation, LibraryCase, citation_text
    from osteodx.literature._render import render_similar
    from osteodx.literature._search import (
        SimilarCase,
        similar_cases,
        similar_to_case,
        similar_to_dict,
    )
    from osteodx.literature._similarity import Comparison
    from osteodx.literature._store import ImportReport, Library, open_library
    from osteodx.literature._summary import (
        ReviewRow,
        ReviewTable,
        render_csv,
        render_markdown,
        review_table,
    )

# Each public name and the module that defines it, imported on first use: importing one part
# (e.g. the similar-patient search) does not pull in SQLAlchemy, Alembic or the plotting code.
_SOURCES: dict[str, str] = {
    "CSV_COLUMNS": "osteodx.literature._readers",
    "Citation": "osteodx.literature._record",
    "Comparison": "osteodx.literature._similarity",
    "ENV_VAR": "osteodx.literature._location",
    "FILTER_FIELDS": "osteodx.literature._filters",
    "FORMATS": "osteodx.literature._readers",
    "Filter": "osteodx.literature._filters",
    "ImportReport": "osteodx.literature._store",
    "Library": "osteodx.literature._store",
    "LibraryCase": "osteodx.literature._record",
    "LibraryError": "osteodx.literature._errors",
    "PLOT_NAMES": "osteodx.literature._plots",
    "Profile": "osteodx.literature._features",
    "RecordProblem": "osteodx.literature._errors",
    "ReviewRow": "osteodx.literature._summary",
    "ReviewTable": "osteodx.literature._summary",
    "SimilarCase": "osteodx.literature._search",
    "apply_filters": "osteodx.literature._filters",
    "citation_text": "osteodx.literature._record",
    "default_url": "osteodx.literature._location",
    "open_library": "osteodx.literature._store",
    "parse_filter": "osteodx.literature._filters",
    "profile_from_case": "osteodx.literature._features",
    "profile_from_record": "osteodx.literature._features",
    "read_records": "osteodx.literature._readers",
    "render_csv": "osteodx.literature._summary",
    "render_markdown": "osteodx.literature._summary",
    "render_similar": "osteodx.literature._render",
    "review_table": "osteodx.literature._summary",
    "similar_cases": "osteodx.literature._search",
    "similar_to_case": "osteodx.literature._search",
    "similar_to_dict": "osteodx.literature._search",
    "write_plots": "osteodx.literature._plots",
}


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module 'osteodx.literature' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "CSV_COLUMNS",
    "ENV_VAR",
    "FILTER_FIELDS",
    "FORMATS",
    "PLOT_NAMES",
    "Citation",
    "Comparison",
    "Filter",
    "ImportReport",
    "Library",
    "LibraryCase",
    "LibraryError",
    "Profile",
    "RecordProblem",
    "ReviewRow",
    "ReviewTable",
    "SimilarCase",
    "apply_filters",
    "citation_text",
    "default_url",
    "open_library",
    "parse_filter",
    "profile_from_case",
    "profile_from_record",
    "read_records",
    "render_csv",
    "render_markdown",
    "render_similar",
    "review_table",
    "similar_cases",
    "similar_to_case",
    "similar_to_dict",
    "write_plots",
]
