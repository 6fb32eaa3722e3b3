"""Import: PubMed XML, MEDLINE, CSV, phenopackets; merging by PMID/DOI; bad records; transactions.

The fixture files hold synthetic records (PMIDs 99xxxxxx, DOIs 10.99999/...), not publications.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from osteodx.literature import CSV_COLUMNS, Library, LibraryError
from osteodx.literature._readers import Incoming

FIXTURES = Path(__file__).parent / "fixtures"


def test_pubmed_xml_records_are_imported_with_citation_and_cautious_abstract_facts(
    library: Library,
) -> None:
    report = library.import_file(FIXTURES / "pubmed.xml")
    assert report.added == ("pmid-99000001", "pmid-99000002")
    case = library.get("pmid-99000001")
    assert case.citation.first_author == "Testauthor A"
    assert case.citation.doi == "10.99999/test.1"
    assert case.citation.year == 2024
    assert (case.age, case.sex, case.grade, case.ki67_percent) == (45, "female", "G2", 8)
    assert case.bone_lesion_type == "osteoblastic"
    assert set(case.bone_sites) == {"spine", "pelvis"}
    assert case.primary_site == "unknown"
    assert "not reviewed" in case.notes
    lytic = library.get("pmid-99000002")
    assert (lytic.histology, lytic.bone_lesion_type, lytic.citation.year) == (
        "NEC",
        "osteolytic",
        2023,
    )


def test_bad_record_is_reported_with_its_position_and_the_rest_imported(library: Library) -> None:
    report = library.import_file(FIXTURES / "pubmed.xml")
    assert len(report.skipped) == 1
    problem = report.skipped[0]
    assert problem.position == "pubmed.xml PubmedArticle #2"
    assert "neither a PMID nor a DOI" in problem.message
    assert library.count() == 79 + 2


def test_medline_text_is_imported_and_a_duplicate_pmid_is_merged(library: Library) -> None:
    library.import_file(FIXTURES / "pubmed.xml")
    report = library.import_file(FIXTURES / "medline.txt")
    assert report.added == ("pmid-99000003",)
    assert report.unchanged == ("pmid-99000001",)
    assert [p.position for p in report.skipped] == ["medline.txt record #3 (line 22)"]
    assert library.get("pmid-99000003").citation.doi == "10.99999/test.3"
    assert library.count() == 79 + 3


def test_csv_with_the_documented_header_is_imported(library: Library) -> None:
    report = library.import_file(FIXTURES / "cases.csv")
    assert report.added == ("csv-1", "pmid-99000012")
    case = library.get("csv-1")
    assert case.ihc == {
        "synaptophysin": "pos",
        "chromogranin_a": "pos",
        "cdx2": "pos",
        "ttf1": "neg",
    }
    cga = case.circulating_markers[0]
    assert (cga.name, cga.value, cga.unit, cga.elevated) == ("chromogranin A", 350, "ng/mL", True)
    assert case.symptoms == ("back pain", "flushing")
    assert case.outcome.follow_up_months == 24
    assert [p.field for p in report.skipped] == ["age"]
    assert report.skipped[0].position == "cases.csv line 3"


def test_csv_header_lists_every_column_of_the_documented_format() -> None:
    text = (Path(__file__).parents[2] / "docs" / "literature.md").read_text("utf-8")
    for column in CSV_COLUMNS:
        assert f"`{column}`" in text, column


def test_csv_with_an_unknown_column_is_refused_whole(library: Library, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("pmid,agee\n99000030,40\n", encoding="utf-8")
    with pytest.raises(LibraryError) as info:
        library.import_file(bad)
    assert "unknown column 'agee'" in info.value.message
    assert "age" in info.value.fix
    assert library.count() == 79


def test_phenopacket_becomes_a_patient_with_lesion_type_markers_and_outcome(
    library: Library,
) -> None:
    library.import_file(FIXTURES / "phenopacket.json")
    case = library.get("pp-test-1")
    assert case.citation.pmid == "99000020"
    assert (case.age, case.sex) == (58, "female")
    assert case.bone_lesion_type == "osteoblastic"  # excluded osteolysis does not make it mixed
    assert [(m.name, m.elevated) for m in case.circulating_markers] == [("nse", True)]
    assert (case.primary_site, case.histology) == ("pancreas", "NET")
    assert case.treatments == ("somatostatin_analogue",)
    assert (case.outcome.status, case.outcome.follow_up_months) == ("dead", 12.0)


def test_folder_of_phenopackets_is_imported(library: Library, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text((FIXTURES / "phenopacket.json").read_text(), "utf-8")
    (tmp_path / "b.json").write_text('{"id": "x", "metaData": {}}', "utf-8")
    report = library.import_file(tmp_path)
    assert report.added == ("pp-test-1",)
    assert report.skipped[0].field == "metaData.externalReferences"


def test_duplicate_doi_fills_gaps_of_the_published_case_and_never_overwrites_it(
    library: Library, tmp_path: Path
) -> None:
    """nen-002 (Bongiovanni 2017, DOI 10.1097/MD.0000000000008567) is 71 years old in the data."""
    csv_file = tmp_path / "dup.csv"
    csv_file.write_text(
        "doi,age,grade,treatments\n10.1097/md.0000000000008567,50,G2,everolimus\n", "utf-8"
    )
    before = library.get("nen-002")
    report = library.import_file(csv_file)
    assert report.merged == ("nen-002",) and report.added == ()
    after = library.get("nen-002")
    assert after.age == before.age == 71
    assert after.grade == "G2"
    assert after.treatments == (*before.treatments, "everolimus")
    assert library.count() == 79


def test_pubmed_record_adds_only_citation_fields_to_a_published_patient(
    library: Library, tmp_path: Path
) -> None:
    """nen-002 has no PMID in the data; an article record with its DOI adds one, no facts."""
    xml = tmp_path / "one.xml"
    xml.write_text(
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>99000040</PMID><Article>"
        "<ArticleTitle>t</ArticleTitle><Abstract><AbstractText>A 20-year-old woman with G1 "
        "neuroendocrine tumour.</AbstractText></Abstract>"
        '<ELocationID EIdType="doi">10.1097/MD.0000000000008567</ELocationID>'
        "</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>",
        "utf-8",
    )
    report = library.import_file(xml)
    assert report.merged == ("nen-002",)
    after = library.get("nen-002")
    assert after.citation.pmid == "99000040"
    assert (after.age, after.sex, after.grade) == (71, "male", None)


def test_series_with_several_patients_needs_the_case_id(library: Library, tmp_path: Path) -> None:
    """DOI 10.1530/endoabs.46.P32 is shared by three patients of one report in the data."""
    csv_file = tmp_path / "series.csv"
    csv_file.write_text("doi,grade\n10.1530/endoabs.46.P32,G1\n", "utf-8")
    report = library.import_file(csv_file)
    assert report.added == () and report.merged == ()
    assert "3 patients" in report.skipped[0].message
    assert "case_id" in report.skipped[0].fix


def test_strict_import_writes_nothing_when_one_record_is_bad(library: Library) -> None:
    rev = library.revision()
    with pytest.raises(LibraryError) as info:
        library.import_file(FIXTURES / "cases.csv", strict=True)
    assert "nothing imported" in info.value.message
    assert library.count() == 79 and library.revision() == rev


def test_malformed_xml_is_refused_with_line_and_column(library: Library, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<PubmedArticleSet>\n<PubmedArticle>\n</PubmedArticleSet>", "utf-8")
    with pytest.raises(LibraryError) as info:
        library.import_file(bad)
    assert "line 3 column" in info.value.message
    assert library.count() == 79


def _synthetic(n: int, start: int = 0) -> list[Incoming]:
    return [
        Incoming(
            f"synthetic #{i}",
            {
                "citation": {"pmid": str(98000000 + i), "title": "[synthetic]"},
                "age": 20 + i % 60,
                "histology": "NET",
            },
        )
        for i in range(start, start + n)
    ]


def test_an_error_while_writing_rolls_the_whole_import_back(library: Library) -> None:
    rev = library.revision()

    def fail(done: int, total: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        library.import_items(_synthetic(2500), origin="test", progress=fail)
    assert library.count() == 79 and library.revision() == rev


_CHILD = """
import sys, time
from pathlib import Path
from osteodx.literature import open_library
from osteodx.literature._readers import Incoming
lib = open_library(sys.argv[1])
items = [Incoming(f"#{i}", {"citation": {"pmid": str(98000000 + i)}, "age": 40})
         for i in range(5000)]
def pause(done, total):
    if done >= 2000:
        Path(sys.argv[2]).write_text("writing")
        time.sleep(120)
lib.import_items(items, origin="kill-test", progress=pause)
"""


def test_kill_9_in_the_middle_of_an_import_leaves_the_library_as_it_was(
    library: Library, tmp_path: Path
) -> None:
    """The child has written 2000 of 5000 rows inside its transaction when it is killed."""
    before = (library.count(), library.revision(), library.ids())
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, library.engine.url.render_as_string(False), str(marker)]
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the import child ended early"
            assert time.monotonic() < deadline, "the import child never reached the write"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    library.engine.dispose()
    assert (library.count(), library.revision(), library.ids()) == before
    if library.engine.url.get_backend_name() == "sqlite":
        with library.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
