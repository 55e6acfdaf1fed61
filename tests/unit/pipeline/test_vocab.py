"""coprod.pipeline.vocab.model_rows: one model's rows of a results table, selected in numpy
when the columns are text without missing cells, cell by cell otherwise -- the same rows as
the cell-by-cell rule (``outcome == o and str(sample) == str(s)``) in every case."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.pipeline.vocab import excluded_pairs, fit_row, model_rows, model_status


def _rule(table: pd.DataFrame, outcome, sample) -> pd.DataFrame:
    """The rule cell by cell (model_rows as it was written first)."""
    if not len(table):
        return table
    want = str(sample)
    mask = [o == outcome and str(s) == want
            for o, s in zip(table["outcome"].to_numpy(dtype=object),
                            table["sample"].to_numpy(dtype=object))]
    return table[np.asarray(mask, dtype=bool)]


OUTCOMES = ["y", "y ", "Y", "ÿ", "y;z", "", "nan", "y\n"]
SAMPLES = ["pooled", "DE", "1", "1.0", "nan", "<NA>", "", " DE", "Zürich"]


def _tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(4)
    n = 60
    o = rng.choice(OUTCOMES, size=n)
    s = rng.choice(SAMPLES, size=n)
    base = pd.DataFrame({"outcome": pd.array(o, dtype="str"), "sample": pd.array(s, dtype="str"),
                         "estimate": rng.normal(size=n)})
    holes = base.copy()
    holes.loc[[3, 9, 17], "outcome"] = None
    holes.loc[[4, 9, 21], "sample"] = None
    return {
        "text": base,
        "text with missing cells": holes,
        "objects": base.astype({"outcome": object, "sample": object}),
        "objects with missing cells": holes.astype({"outcome": object, "sample": object}),
        "nullable text": base.astype({"outcome": "string", "sample": "string"}),
        "nullable text with missing cells": holes.astype({"outcome": "string",
                                                          "sample": "string"}),
        "numeric samples": base.assign(sample=rng.choice([1, 2, 3], size=n)),
        "float samples": base.assign(sample=rng.choice([1.0, 2.5, np.nan], size=n)),
        "categorical": base.astype({"outcome": "category", "sample": "category"}),
        "mixed objects": base.assign(sample=pd.Series(
            rng.choice(np.array([1, "1", 1.0, None, "DE"], dtype=object), size=n),
            dtype=object)),
        "one model": base.assign(outcome="y", sample="DE"),
        "empty": base.iloc[:0],
    }


@pytest.mark.parametrize("kind", list(_tables()))
def test_model_rows_selects_what_the_cell_by_cell_rule_selects(kind):
    t = _tables()[kind]
    for outcome in [*OUTCOMES, None, np.nan]:
        for sample in [*SAMPLES, 1, 1.0, 2.5, np.nan, None]:
            try:
                want = _rule(t, outcome, sample)
            except TypeError:  # a pd.NA outcome cell has no truth value: either way
                with pytest.raises(TypeError):
                    model_rows(t, outcome, sample)
                continue
            pd.testing.assert_frame_equal(model_rows(t, outcome, sample), want)


def test_the_callers_on_odd_text_and_missing_cells():
    fit = pd.DataFrame({"outcome": ["y", None, "y", "z"], "sample": ["1", "1", None, "2"],
                        "status": ["ok", "failed", "flagged", "ok"], "message": ["", "x", "", ""]})
    assert fit_row(fit, "y", 1)["status"] == "ok"
    assert fit_row(fit, "y", "nan")["status"] == "flagged"  # str(None)? no: str(NaN) is 'nan'
    assert model_status(fit, "z", 2) == ("ok", "")
    assert model_status(fit, "w", 1) == ("missing", "model not in the results")
    excluded = pd.DataFrame({"outcome": ["y", "y", "z"], "sample": ["DE", "DE", "DE"],
                             "variable": ["age", "x", "age"], "n_excluded": [3, np.nan, 1]})
    assert excluded_pairs(excluded, "y", "DE") == [("age", "3")]


def test_a_table_of_one_model_comes_back_as_its_own_copy():
    t = _tables()["one model"]
    got = model_rows(t, "y", "DE")
    pd.testing.assert_frame_equal(got, t)
    assert got is not t
    got.loc[got.index[0], "estimate"] = 99.0  # changing the selection leaves the table be
    assert t["estimate"].iloc[0] != 99.0
