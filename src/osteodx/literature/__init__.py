"""Published-case library: store, import, similar patients, literature-review tables and plots.

The library ships the curated NEN case library (``data/cases.jsonl``, each patient with the
publication it was read from) and seeds every new library with it. Decision support for clinicians
and researchers, not a medical device.

>>> from osteodx.literature import open_library, similar_to_case  # doctest: +SKIP
>>> lib = open_library()  # SQLite in the user data folder, or OSTEODX_DB  # doctest: +SKIP
>>> similar_to_case(lib, case, grade="G2", ki67_percent=10)[0].case_id  # doctest: +SKIP
'nen-001'
"""

from osteodx.literature._errors import LibraryError, RecordProblem
from osteodx.literature._features import Profile, profile_from_case, profile_from_record
from osteodx.literature._filters import FILTER_FIELDS, Filter, apply_filters, parse_filter
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
from osteodx.literature._store import ENV_VAR, ImportReport, Library, default_url, open_library
from osteodx.literature._summary import (
    ReviewRow,
    ReviewTable,
    render_csv,
    render_markdown,
    review_table,
)

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
