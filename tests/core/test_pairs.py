"""The one pairs-CSV reader, shared by `siamgui compare --pairs` and calibration."""

import pytest

from siamgui.tasks import calibration
from siamgui.core.pairs import PairsError, read_pairs, resolve


def write(tmp_path, text, name="pairs.csv"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_rows_labels_lines_and_extra_columns(tmp_path):
    p = write(tmp_path, '\ufeffB,A,Label,note\n"y.png",x.png,Yes,"two\nlines"\n\nz.png,x.png,,\nz.png,y.png,impostor,\n')
    f = read_pairs(p)
    assert f.columns == ["B", "A", "Label", "note"] and f.has_label
    assert [(r.a, r.b, r.label) for r in f.pairs] == [("x.png", "y.png", True), ("x.png", "z.png", None),
                                                      ("y.png", "z.png", False)]
    assert [r.line for r in f.pairs] == [3, 5, 6] and f.pairs[0].values["note"] == "two\nlines"


def test_tsv_is_tab_separated(tmp_path):
    p = write(tmp_path, "a\tb\tlabel\nx, 1.png\ty.png\t0\n", "pairs.tsv")
    assert read_pairs(p, need_label=True).pairs[0].a == "x, 1.png"


@pytest.mark.parametrize("text, need_label, message", [
    ("a,b,label\nx.png,y.png,1,extra\n", False, "pairs.csv, line 2: expected 3 columns (a,b,label), found 4"),
    ("a,b,label\nx.png,y.png,\n", True, "pairs.csv, line 2: the label is empty"),
    ("a,b\nx.png,y.png\n", True, "pairs.csv, line 1: needs a header with columns a,b,label"),
    ("a,b,a\nx,y,z\n", False, "pairs.csv, line 1: the column a appears twice"),
    ("a,b\n", False, "pairs.csv: no pairs in the file"),
    ("a,b\nx.png,\"y.png\n", False, "pairs.csv, line 2"),
    (b"\xff\xfea\x00,\x00b\x00\n\x00", False, "pairs.csv, line 1: not a text file"),
])
def test_problems_name_the_file_and_line(tmp_path, text, need_label, message):
    with pytest.raises(PairsError) as err:
        read_pairs(write(tmp_path, text), need_label=need_label)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_paths_are_relative_to_the_csv_first(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.png").write_bytes(b"")
    (tmp_path / "y.png").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert resolve("x.png", tmp_path / "data") == tmp_path / "data" / "x.png"
    assert str(resolve("y.png", tmp_path / "data")) == "y.png"  # only here: found here
    assert resolve("z.png", tmp_path / "data") == tmp_path / "data" / "z.png"  # nowhere: beside the CSV


def test_calibration_reads_pairs_with_the_same_reader(tmp_path):
    p = write(tmp_path, "a,b,label\nx.png,y.png,yes\nx.png,z.png,no\nx.png\n")
    with pytest.raises(calibration.CalibrationError, match="pairs.csv, line 4: expected 3 columns"):
        calibration.plan(p, "image")
    p = write(tmp_path, "a,b,label\nx.png,y.png,yes\nx.png,z.png,no\n")
    plan = calibration.plan(p, "image")
    assert list(plan.labels) == [True, False] and [i.path.name for i in plan.items] == ["x.png", "y.png", "z.png"]


def test_rows_are_streamed_and_a_line_without_end_is_refused(tmp_path):
    from siamgui.core.pairs import scan_pairs

    p = write(tmp_path, "a,b\n" + "x.png,y.png\n" * 1000)
    stream = scan_pairs(p)
    rows = iter(stream)
    assert next(rows).line == 2 and sum(1 for _ in rows) == 999
    assert sum(1 for _ in stream) == 1000  # it can be walked again
    p = write(tmp_path, b"a,b\n" + b"x" * 200_000)
    with pytest.raises(PairsError, match="pairs.csv, line 2: longer than 64 KB"):
        list(scan_pairs(p))
    p = write(tmp_path, b"a,b\nx.png,y.png\nz\xff.png,y.png\n")
    with pytest.raises(PairsError, match=r"pairs.csv, line 3: not UTF-8 text \(byte 0xff\)"):
        read_pairs(p)
