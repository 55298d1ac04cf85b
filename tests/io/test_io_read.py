"""read_data: text, Parquet, SPSS and Stata files, labels, user-missing codes, bad files."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from unspoken.errors import DataError
from unspoken.io import (
    binary_column,
    drop_missing,
    integer_column,
    numeric_column,
    read_data,
    to_pandas,
)

# ----------------------------------------------------------------------------- fixtures


def _survey() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": [0.0, 1.0, 2.0, 3.0, 1.0, 2.0],
            "treat": [0.0, 1.0, 0.0, 1.0, 1.0, 0.0],
            "direct": [1.0, 2.0, 8.0, 9.0, np.nan, 1.0],
            "age": [34.0, 51.0, 999.0, 27.0, 45.0, 62.0],
            "name": ["a", "b", "c", "d", "e", "f"],
        }
    )


@pytest.fixture
def sav_path(tmp_path):
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(
        _survey(),
        str(path),
        column_labels={"y": "Number of items that upset you", "direct": "Supports X?"},
        variable_value_labels={
            "direct": {1.0: "Yes", 2.0: "No", 8.0: "Don't know", 9.0: "Refused"},
            "treat": {0.0: "Control", 1.0: "Treatment"},
        },
        missing_ranges={"direct": [8.0, 9.0], "age": [{"lo": 900.0, "hi": 999.0}]},
    )
    return path


@pytest.fixture
def dta_path(tmp_path):
    df = pd.DataFrame(
        {
            "y": [0.0, 1.0, 2.0, 3.0, 1.0],
            "direct": pd.Series([1.0, 0.0, "a", "b", 1.0], dtype=object),
            "town": ["x", "a", "b", "y", "z"],  # single letters in a string variable
        }
    )
    path = tmp_path / "survey.dta"
    pyreadstat.write_dta(
        df,
        str(path),
        column_labels={"direct": "Supports X?"},
        variable_value_labels={"direct": {0: "No", 1: "Yes", "a": "Don't know"}},
        missing_user_values={"direct": ["a", "b"]},
    )
    return path


# ----------------------------------------------------------------------------- SPSS


def test_sav_labels_and_user_missing_kept(sav_path):
    df = read_data(sav_path)
    assert isinstance(df["direct"].dtype, pd.CategoricalDtype)
    assert df["direct"].tolist()[:4] == ["Yes", "No", "Don't know", "Refused"]
    assert pd.isna(df["direct"].iloc[4])  # system-missing stays missing
    assert list(df["direct"].cat.categories) == ["Yes", "No", "Don't know", "Refused"]
    # unlabelled column with a user-missing code present: the code is its own value
    assert df["age"].tolist() == ["34", "51", "999 (user-missing)", "27", "45", "62"]
    assert df["y"].dtype == float and df["name"].tolist() == list("abcdef")
    meta = df.attrs["unspoken"]
    assert meta["variable_labels"]["y"] == "Number of items that upset you"
    assert meta["value_labels"]["direct"][8.0] == "Don't know"
    assert meta["user_missing"]["age"] == [{"lo": 900.0, "hi": 999.0}]
    assert meta["source"] == str(sav_path) and meta["format"] == "sav"


def test_sav_user_missing_nan(sav_path):
    df = read_data(sav_path, user_missing="nan")
    assert df["direct"].isna().tolist() == [False, False, True, True, True, False]
    assert df["age"].dtype == float and np.isnan(df["age"].iloc[2])
    _, notes, kept = drop_missing(df, ["direct", "age"])
    np.testing.assert_array_equal(kept, [0, 1, 5])
    assert "column 'direct': 3 rows, first 2, 3, 4" in notes[0]


def test_labelled_columns_back_to_numbers(sav_path):
    df = read_data(sav_path)
    codes, info = binary_column(df, "treat")  # labels Control/Treatment
    np.testing.assert_array_equal(codes, [0, 1, 0, 1, 1, 0])
    assert info["control"] == "Control"
    # value labels map back to their codes; user-missing answers are refused by row
    with pytest.raises(DataError) as err:
        numeric_column(df, "direct", role="direct answer", allow_missing=True)
    msg = str(err.value)
    assert err.value.column == "direct" and err.value.rows == [2, 3]
    assert "Don't know" in msg and "user_missing='nan'" in msg
    with pytest.raises(DataError, match=r"999 \(user-missing\).*row 2\)"):
        numeric_column(df, "age")
    age = numeric_column(read_data(sav_path, user_missing="nan"), "age", allow_missing=True)
    np.testing.assert_array_equal(age[[0, 1, 3]], [34.0, 51.0, 27.0])
    kept = df.iloc[[0, 1, 5]]
    np.testing.assert_array_equal(numeric_column(kept, "direct"), [1.0, 2.0, 1.0])
    np.testing.assert_array_equal(integer_column(kept, "age", 18, 99), [34, 51, 62])


def test_zsav(tmp_path):
    path = tmp_path / "small.zsav"
    pyreadstat.write_sav(_survey(), str(path), compress=True)
    df = read_data(path)
    np.testing.assert_array_equal(df["y"].to_numpy(), _survey()["y"].to_numpy())


# ----------------------------------------------------------------------------- Stata


def test_dta_extended_missing_kept(dta_path):
    df = read_data(dta_path)
    assert df["direct"].tolist() == ["Yes", "No", "Don't know", ".b", "Yes"]
    assert df["town"].tolist() == ["x", "a", "b", "y", "z"]  # a string variable untouched
    meta = df.attrs["unspoken"]
    assert meta["user_missing"]["direct"] == [".a", ".b"]
    assert meta["variable_labels"] == {"direct": "Supports X?"}
    with pytest.raises(DataError) as err:
        numeric_column(df, "direct")
    assert err.value.rows == [2, 3] and "'.b'" in str(err.value)
    codes, info = binary_column(df.iloc[[0, 1, 4]], "direct")
    np.testing.assert_array_equal(codes, [1, 0, 1])
    assert info["control"] == "No"


def test_dta_extended_missing_nan(dta_path):
    df = read_data(dta_path, user_missing="nan")
    assert df["direct"].isna().tolist() == [False, False, True, True, False]


# ----------------------------------------------------------------------------- text


def test_cp1251_csv_with_cyrillic(tmp_path):
    path = tmp_path / "опрос.csv"
    text = "регион;ответ;доля\nМосква;да;0,25\nТверь;нет;1,5\n"
    path.write_bytes(text.encode("cp1251"))
    with pytest.raises(DataError) as err:
        read_data(path)
    msg = str(err.value)
    assert "UTF-8" in msg and "encoding='cp1251'" in msg and "line 1" in msg
    df = read_data(path, encoding="cp1251")
    assert list(df.columns) == ["регион", "ответ", "доля"]
    assert df["регион"].tolist() == ["Москва", "Тверь"]
    np.testing.assert_array_equal(df["доля"].to_numpy(), [0.25, 1.5])  # decimal comma
    assert df.attrs["unspoken"]["delimiter"] == ";"


def test_bad_bytes_beyond_the_sample(tmp_path):
    path = tmp_path / "long.csv"
    body = "a,b\n" + "1,2\n" * 40000 + "Иван,3\n"
    path.write_bytes(body.encode("cp1251"))
    with pytest.raises(DataError, match=r"as UTF-8 text.*encoding="):
        read_data(path)


def test_utf8_bom_and_delimiters(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffy,treat\n1,0\n2,1\n".encode())
    assert list(read_data(p).columns) == ["y", "treat"]
    p = tmp_path / "tabs.txt"
    p.write_text('y\ttreat\tnote\n1\t0\t"a, b"\n2\t1\tc\n')
    df = read_data(p)
    assert df["note"].tolist() == ["a, b", "c"]
    p = tmp_path / "pipes.dat"
    p.write_text("y|treat\n1|0\n")
    assert list(read_data(p).columns) == ["y", "treat"]
    p = tmp_path / "data.csv.gz"
    p.write_bytes(gzip.compress(b"y,treat\n3,1\n"))
    assert read_data(p)["y"].tolist() == [3]


def _read_fails(path, content: str | bytes, match: str | None = None) -> str:
    """``read_data`` of a file ``path`` holding ``content`` is a DataError saying ``match``:
    its message."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(DataError, match=match) as err:
        read_data(path)
    return str(err.value)


def test_malformed_csv_names_line(tmp_path):
    bad = tmp_path / "bad.csv"
    _read_fails(bad, "a,b,c\n1,2,3\n4,5,6,7\n", r"bad\.csv.*Expected 3 fields in line 3, saw 4")


def _a_csv(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("a\n1\n")
    return p


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"encoding": "klingon"}, "unknown text encoding 'klingon'"),
        ({"format": "sas"}, "unknown format 'sas'"),
        ({"user_missing": "drop"}, "user_missing must be 'keep' or 'nan'"),
    ],
)
def test_bad_read_option(tmp_path, options, message):
    with pytest.raises(DataError, match=message):
        read_data(_a_csv(tmp_path), **options)


# ----------------------------------------------------------------------------- parquet


def test_parquet_round_trip(tmp_path):
    df = _survey()
    p = tmp_path / "s.parquet"
    df.to_parquet(p, engine="pyarrow")
    out = read_data(p)
    pd.testing.assert_frame_equal(out, df, check_dtype=False)
    assert out.attrs["unspoken"]["format"] == "parquet"


# ----------------------------------------------------------------------------- wrong files


def test_files_that_are_not_what_they_claim(tmp_path, sav_path):
    msg = _read_fails(tmp_path / "text.sav", "y,treat\n1,0\n")
    assert "should be an SPSS .sav file but it is plain text" in msg and "'y,treat'" in msg
    for name, content, match in [
        ("text.parquet", "y,treat\n1,0\n", "should be a Parquet file but it is plain text"),
        ("text.dta", "hello", "should be a Stata .dta file but it is plain text"),
        ("binary.csv", sav_path.read_bytes(), r"should be comma-separated .* it is an SPSS \.sav"),
    ]:
        _read_fails(tmp_path / name, content, match)
    pq_csv = tmp_path / "pq.csv"
    _survey().to_parquet(pq_csv)
    with pytest.raises(DataError, match=r"it is a Parquet file; read it with format='parquet'"):
        read_data(pq_csv)
    assert read_data(pq_csv, format="parquet").shape == (6, 5)
    _read_fails(tmp_path / "junk.csv", bytes(range(256)) * 4, "binary data")


def test_truncated_sav_is_a_data_error(tmp_path, sav_path):
    cut = sav_path.read_bytes()[:300]
    _read_fails(tmp_path / "cut.sav", cut, r"could not read 'cut\.sav' as an SPSS \.sav file")


def test_unknown_extension_is_sniffed(tmp_path, sav_path):
    p = tmp_path / "export.bin"
    p.write_bytes(sav_path.read_bytes())
    assert read_data(p).attrs["unspoken"]["format"] == "sav"
    q = tmp_path / "export.out"
    q.write_text("y,treat\n1,0\n")
    assert read_data(q).shape == (1, 2)


def test_missing_file_and_folder(tmp_path):
    (tmp_path / "survey.csv").write_text("y\n1\n")
    with pytest.raises(
        DataError, match=r"file not found: .*survy\.csv.*did you mean 'survey\.csv'"
    ):
        read_data(tmp_path / "survy.csv")
    with pytest.raises(DataError, match=r"file not found: .*nothing\.csv.*no file of that name"):
        read_data(str(tmp_path / "nothing.csv"))
    with pytest.raises(DataError, match="is a folder"):
        read_data(tmp_path)
    _read_fails(tmp_path / "empty.csv", "", "is empty")


def test_format_name_in_any_case(tmp_path):
    assert read_data(_a_csv(tmp_path), format="CSV").shape == (1, 1)


def test_excel_without_openpyxl(tmp_path):
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("openpyxl installed: the missing-package message cannot be shown")
    p = tmp_path / "book.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(DataError, match="needs the optional package openpyxl"):
        read_data(p)


# ----------------------------------------------------------------------------- frames


def test_read_data_frames_are_copied():
    df = _survey()
    out = read_data(df)
    out.loc[0, "y"] = 42.0
    pd.testing.assert_frame_equal(df, _survey())


def test_read_data_polars():
    import polars as pl

    p = pl.DataFrame({"y": [0, 1, 2], "treat": [True, False, True]})
    out = read_data(p)
    assert list(out.columns) == ["y", "treat"]
    codes, info = binary_column(out, "treat")
    np.testing.assert_array_equal(codes, [1, 0, 1])
    assert info["control"] is False
    assert to_pandas(p.lazy()).shape == (3, 2)


def test_cli_load_frame_uses_read_data(tmp_path):
    import unspoken.cli.common as common

    p = tmp_path / "ru.csv"
    p.write_bytes("y,группа\n1,контроль\n".encode("cp1251"))
    df = common.load_frame(str(p), encoding="cp1251")
    assert df["группа"].tolist() == ["контроль"]
    with pytest.raises(DataError, match="cp1251"):
        common.load_frame(str(p))


def test_import_is_light():
    import subprocess
    import sys

    # pandas 3 itself may import pyarrow; only what unspoken.io adds on top counts
    code = (
        "import sys, numpy, pandas; before = set(sys.modules); import unspoken.io; "
        "added = set(sys.modules) - before; "
        "print(','.join(sorted(m for m in added if m.split('.')[0] in "
        "('pyreadstat', 'pyarrow', 'narwhals', 'polars', 'scipy', 'matplotlib'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_options_that_do_not_apply(tmp_path):
    from unspoken.errors import UnsupportedError

    p = tmp_path / "s.parquet"
    _survey().to_parquet(p)
    with pytest.raises(UnsupportedError, match="encoding= applies to text"):
        read_data(p, encoding="cp1251")
    with pytest.raises(UnsupportedError, match="sheet= applies to Excel"):
        read_data(p, sheet="Sheet1")


def test_utf16_text(tmp_path):
    p = tmp_path / "u16.csv"
    p.write_bytes("y,ответ\n1,да\n".encode("utf-16"))
    with pytest.raises(DataError, match="encoding='utf-16'"):
        read_data(p)
    assert read_data(p, encoding="utf-16")["ответ"].tolist() == ["да"]


def test_labels_survive_listwise_deletion(sav_path):
    df = read_data(sav_path)
    out, _, kept = drop_missing(df, ["direct"])
    np.testing.assert_array_equal(kept, [0, 1, 2, 3, 5])
    with pytest.raises(DataError) as err:
        numeric_column(out, "direct")
    # positions within `out`, and the original row numbers as index labels
    assert err.value.rows == [2, 3]
    assert "index labels of those rows: 2, 3" in str(err.value)


def test_bundled_csv_files_read_as_the_loader_does():
    from unspoken import datasets

    for name in datasets.names():
        expected = datasets.load(name)
        got = read_data(datasets.path(name))
        assert got.attrs["unspoken"]["delimiter"] == ","
        got.attrs = {}
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"", "empty"),
        (b"PAR1\x15\x04", "parquet"),
        (b"$FL2@(#) SPSS", "sav"),
        (b"$FL3@(#) SPSS", "zsav"),
        (b"<stata_dta><header>", "dta"),
        (bytes([114, 2, 1, 0]) + b"\x05\x00", "dta"),  # Stata 12 format, old header
        (b"PK\x03\x04\x14\x00", "zip"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"%PDF-1.7", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "xls"),
        (b"\xff\xfea\x00,\x00", "text"),
        (b"\xfe\xff\x00a\x00,", "text"),
        (b"a,b\n1,2\n", "text"),
        (b"\x01\x02\x03\x00\x04", "binary"),
    ],
)
def test_file_kind_from_first_bytes(head, kind):
    """The published signatures of each format map to its kind."""
    from unspoken.io.formats import _sniff_kind

    assert _sniff_kind(head) == kind
