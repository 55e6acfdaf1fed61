"""The gather step reads its parts in one go (coprod.pipeline.stages.gathered): the table it
writes is byte for byte the one of reading each part and concatenating them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.pipeline.csvsafe import restore_frame
from coprod.pipeline.io import write_csv
from coprod.pipeline.stages import _concat, _header, gathered

# parts whose columns' types differ from part to part: int and float, int and bool, text and
# numbers, empty cells, text a spreadsheet would run (written with an apostrophe), a carriage
# return (every text field then quoted), a part without rows
PARTS = [
    pd.DataFrame({"term": ["age", "=cmd()"], "n": [1, 2], "x": [0.1, np.nan],
                  "flag": [True, False], "note": ["a", None]}),
    pd.DataFrame({"term": ["sex"], "n": [1.5], "x": [np.nan], "flag": [1], "note": [3]}),
    pd.DataFrame({"term": pd.Series([], dtype=object), "n": [], "x": [], "flag": [],
                  "note": []}),
    pd.DataFrame({"term": ["-1", "line\rbreak"], "n": [np.nan, 7], "x": [1e-300, 2.0],
                  "flag": [np.nan, True], "note": ["", "@x"]}),
]


def _one_by_one(paths, known):
    # each part read from its file, as the gather step did before reading them in one go
    parts = [restore_frame(pd.read_csv(p, keep_default_na=False, na_values=[""]))
             for p in paths]
    return _concat(parts), _header(parts, known)


@pytest.mark.parametrize("pick", [[0, 1, 2, 3], [0], [2], [2, 2], [1, 3], []])
def test_one_read_writes_what_reading_each_part_writes(tmp_path, pick):
    paths = []
    for i, k in enumerate(pick):
        paths.append(str(tmp_path / f"part{i}.csv"))
        write_csv(PARTS[k], paths[-1])
    for how, fn in (("fast", gathered), ("slow", _one_by_one)):
        frame, header = fn(paths, ["term", "n"])
        write_csv(frame, tmp_path / f"{how}.csv", columns=header)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "slow.csv").read_bytes()


def test_parts_with_different_headers_are_read_one_by_one(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(pd.DataFrame({"x": [1], "y": ["u"]}), a)
    write_csv(pd.DataFrame({"x": [2.5], "z": [True]}), b)
    frame, _ = gathered([str(a), str(b)], None)
    assert list(frame.columns) == ["x", "y", "z"] and frame["x"].tolist() == [1.0, 2.5]
