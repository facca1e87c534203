"""A survey read in batches (cxreport.load.dataset): every row once, in file order, each batch
naming its file and the file's own row number of its first row; files that disagree on their
columns refused with one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxreport.errors import DataError
from cxreport.load.dataset import batches, open_survey


def _table(ids: list[int], nps_type=pa.int8(), order=("id", "nps", "branch")) -> pa.Table:
    columns = {"id": pa.array([f"R{i}" for i in ids], type=pa.string()),
               "nps": pa.array([i % 11 for i in ids], type=pa.int8()).cast(nps_type),
               "branch": pa.array([f"Branch {i % 3}" for i in ids], type=pa.string()).dictionary_encode()}
    return pa.table({name: columns[name] for name in order})


def _folder(tmp_path: Path, parts: dict[str, pa.Table]) -> Path:
    root = tmp_path / "responses"
    for rel, table in parts.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target)
    return root


def test_a_partitioned_folder_is_read_file_after_file_in_natural_order(tmp_path):
    root = _folder(tmp_path, {"quarter=2026Q2/part-0.parquet": _table(list(range(10, 17))),
                              "quarter=2026Q1/part-10.parquet": _table(list(range(5, 10))),
                              "quarter=2026Q1/part-2.parquet": _table(list(range(0, 5)))})
    survey = open_survey(root, "data/responses")
    assert survey.rows == 17 and survey.columns == ["id", "nps", "branch"]
    assert survey.types == {"id": "string", "nps": "int8", "branch": "string"}
    seen = list(batches(survey, rows=3))
    # part-2 before part-10 (natural order), Q1 before Q2; batches never cross a file
    assert [(b.file, b.first_row, b.rows) for b in seen] == [
        ("data/responses/quarter=2026Q1/part-2.parquet", 1, 3), ("data/responses/quarter=2026Q1/part-2.parquet", 4, 2),
        ("data/responses/quarter=2026Q1/part-10.parquet", 1, 3), ("data/responses/quarter=2026Q1/part-10.parquet", 4, 2),
        ("data/responses/quarter=2026Q2/part-0.parquet", 1, 3), ("data/responses/quarter=2026Q2/part-0.parquet", 4, 3),
        ("data/responses/quarter=2026Q2/part-0.parquet", 7, 1)]
    ids = [i for b in seen for i in b.data.column("id").to_pylist()]
    assert ids == [f"R{i}" for i in range(17)]
    only = list(batches(survey, ["nps"], rows=100))
    assert [b.data.schema.names for b in only] == [["nps"]] * 3


def test_an_empty_partition_gives_no_batch(tmp_path):
    # a writer that had no value of a column may write it untyped (null): no data, no conflict
    untyped = pa.table({"id": pa.array([], type=pa.null()), "nps": pa.array([], type=pa.null()),
                        "branch": pa.array([], type=pa.null())})
    root = _folder(tmp_path, {"a/part-0.parquet": _table([1, 2]), "b/part-0.parquet": _table([]),
                              "c/part-0.parquet": _table([3]), "d/part-0.parquet": untyped})
    survey = open_survey(root)
    assert survey.rows == 3
    assert [(b.file, b.rows) for b in batches(survey)] == [("responses/a/part-0.parquet", 2),
                                                          ("responses/c/part-0.parquet", 1)]


@pytest.mark.parametrize("other, expected", [
    (lambda: _table([9], order=("id", "branch", "nps")),
     "responses/b.parquet: the columns are in another order than in responses/a.parquet (column 2 is 'branch', "
     "there 'nps')"),
    (lambda: _table([9], nps_type=pa.string()),
     "responses/b.parquet: column 'nps' is string, in responses/a.parquet int8"),
    (lambda: _table([9]).drop_columns(["branch"]),
     "responses/b.parquet: no column 'branch' (every file of the survey has the columns of responses/a.parquet)"),
])
def test_a_file_whose_columns_differ_is_refused_by_name(tmp_path, other, expected):
    root = _folder(tmp_path, {"a.parquet": _table([1, 2]), "b.parquet": other()})
    with pytest.raises(DataError) as info:
        open_survey(root)
    assert str(info.value).startswith(expected), str(info.value)
    assert "\n" not in str(info.value)


def test_dictionary_encoding_is_not_a_different_type(tmp_path):
    plain = _table([5]).set_column(2, "branch", pa.array(["Branch 2"]))
    survey = open_survey(_folder(tmp_path, {"a.parquet": _table([1, 2]), "b.parquet": plain}))
    assert [b.data.column("branch").to_pylist() for b in batches(survey)] == [["Branch 1", "Branch 2"], ["Branch 2"]]


def test_a_folder_without_parquet_files_and_other_files_are_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="the folder holds no Parquet file"):
        open_survey(tmp_path / "empty", "data/empty")
    (tmp_path / "survey.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match="not '.xlsx'"):
        open_survey(tmp_path / "survey.xlsx")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="broken.parquet: not a readable Parquet file"):
        open_survey(tmp_path / "broken.parquet")


def test_a_csv_file_in_batches_keeps_the_files_row_numbers(tmp_path):
    # a byte-order mark, a quoted comment over two lines, a blank line (a row of blank cells, as
    # the in-memory reader counts it)
    path = tmp_path / "responses.csv"
    path.write_bytes("\ufeffid,nps,comment\n1,9,good\n2,3,\"bad\nreally\"\n\n4,10,\"a,b\"\n5,,\n".encode("utf-8"))
    survey = open_survey(path, "data/responses.csv")
    assert survey.columns == ["id", "nps", "comment"] and survey.delimiter == ","
    seen = list(batches(survey, rows=2))
    assert [(b.first_row, b.rows) for b in seen] == [(2, 2), (4, 2), (6, 1)]
    rows = [r for b in seen for r in zip(*b.data.to_pydict().values())]
    assert rows == [("1", "9", "good"), ("2", "3", "bad\nreally"), ("", "", ""), ("4", "10", "a,b"), ("5", "", "")]
    assert all(b.file == "data/responses.csv" for b in seen)
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text("id;nps\n1;9\n2;10\n", encoding="utf-8")
    survey = open_survey(semicolons)
    assert survey.delimiter == ";" and [b.data.to_pydict() for b in batches(survey)] == [
        {"id": ["1", "2"], "nps": ["9", "10"]}]


def test_a_csv_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("id,branch\n1,Zürich\n".encode("latin-1"))
    with pytest.raises(DataError, match="latin.csv: byte 14 is not utf-8 text; save the file as UTF-8 CSV or set survey.encoding"):
        open_survey(path)
