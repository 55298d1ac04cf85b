"""Formulas to design matrices, safely.

Formulas are R/Wilkinson style (``y ~ age + south + south:age + C(state)``) and are turned
into matrices by formulaic. formulaic evaluates the pieces of a formula as Python, so every
formula is first checked token by token: only column names, numbers, the operators
``~ + - * / : ^ ( ) ,`` and a short list of functions (``C``, ``I``, ``log``, ``exp``,
``sqrt``, ...) pass. Anything else — attribute access, strings, brackets, ``__import__``,
unknown functions — is rejected with a :class:`~unspoken.errors.DataError` before anything
is evaluated, and so is literal arithmetic that could run for hours (powers of powers,
exponents over 100, numbers over 20 characters, parentheses nested over 12 deep). Column
names with dots (R style, ``cov.age``) work as written. Inside ``I()`` the R power ``^``
means ``**``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from unspoken.errors import DataError

#: functions a formula may call (formulaic transforms and numpy ufuncs); nothing else.
ALLOWED_FUNCTIONS = frozenset(
    {"C", "I", "log", "log1p", "log2", "log10", "exp", "sqrt", "abs", "center", "scale", "poly"}
)

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<quoted>`[^`]+`)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[^\W\d][\w.]*|\.[\w.]*)
  | (?P<op>\*\*|[~+\-*/:^(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(formula: str) -> list[Token]:
    """Split a formula into tokens, rejecting any character that has no place in one."""
    if not isinstance(formula, str):
        raise DataError(f"a formula must be text, got {type(formula).__name__}")
    tokens: list[Token] = []
    pos = 0
    while pos < len(formula):
        m = _TOKEN.match(formula, pos)
        if m is None:
            bad = formula[pos]
            raise DataError(
                f"formula '{formula}': the character {bad!r} at position {pos} is not allowed "
                "(use column names, numbers, + - * / : ^ ( ) and C(), I(), log() ...)"
            )
        if m.lastgroup != "space":
            tokens.append(Token(m.lastgroup or "", m.group(), pos))
        pos = m.end()
    return tokens


#: limits on what a formula may ask Python to compute from literals alone: formulaic evaluates
#: ``I(...)`` as Python, where ``9 ** 9 ** 9`` is an integer with 370 million digits.
MAX_FORMULA_LENGTH = 5000
MAX_DEPTH = 12  # nested parentheses
MAX_LITERAL_CHARS = 20  # characters of one number
MAX_EXPONENT = 100  # |literal exponent| of ** or ^


def _check_arithmetic(formula: str, tokens: list[Token]) -> None:
    """Refuse literal arithmetic that can explode before anything is evaluated: chains of
    powers (``a ^ b ^ c``; a power inside an exponent), literal exponents over
    :data:`MAX_EXPONENT`, numbers longer than :data:`MAX_LITERAL_CHARS` characters,
    parentheses nested deeper than :data:`MAX_DEPTH` and formulas over
    :data:`MAX_FORMULA_LENGTH` characters."""

    def refuse(why: str) -> None:
        raise DataError(f"formula '{formula[:200]}': {why}")

    if len(formula) > MAX_FORMULA_LENGTH:
        refuse(f"is {len(formula):,} characters long; the limit is {MAX_FORMULA_LENGTH:,}")
    depth = 0
    for tok in tokens:
        if tok.text == "(":
            depth += 1
            if depth > MAX_DEPTH:
                refuse(f"parentheses are nested more than {MAX_DEPTH} deep")
        elif tok.text == ")":
            depth -= 1
        elif tok.kind == "number" and len(tok.text) > MAX_LITERAL_CHARS:
            refuse(f"the number at position {tok.pos} is too long ({len(tok.text)} characters)")
    powers = [i for i, t in enumerate(tokens) if t.text in ("^", "**")]
    for i in powers:
        j = i + 1
        while j < len(tokens) and tokens[j].text in ("+", "-"):
            j += 1  # a signed exponent: 2 ^ -1
        if j >= len(tokens):
            refuse(f"the power at position {tokens[i].pos} has no exponent")
        first = tokens[j]
        if first.text == "(":  # the exponent is a group: find its end
            level, k = 0, j
            while k < len(tokens):
                level += tokens[k].text == "("
                level -= tokens[k].text == ")"
                if level == 0:
                    break
                k += 1
            exponent = tokens[j : k + 1]
        else:
            exponent = [first]
            k = j
            if first.kind == "name" and k + 1 < len(tokens) and tokens[k + 1].text == "(":
                refuse(f"the exponent at position {first.pos} may not be a function call")
        if any(t.text in ("^", "**") for t in exponent) or (
            k + 1 < len(tokens) and tokens[k + 1].text in ("^", "**")
        ):
            refuse(
                f"powers of powers (at position {tokens[i].pos}) are not allowed; write the "
                "exponent as one number, e.g. I(age^2)"
            )
        for t in exponent:
            if t.kind == "number" and abs(float(t.text)) > MAX_EXPONENT:
                refuse(f"the exponent {t.text} at position {t.pos} is larger than {MAX_EXPONENT}")


def _suggest(name: str, columns: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in columns], n=3)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _check_and_rewrite(formula: str, columns: Sequence[str]) -> tuple[str, list[str]]:
    """Validate tokens against the allowlist and ``columns``; return formulaic text and the
    columns the formula uses."""
    tokens = tokenize(formula)
    _check_arithmetic(formula, tokens)
    if any(t.text == "~" for t in tokens[1:]):  # formulaic would return a (lhs, rhs) pair
        raise DataError(
            f"formula '{formula}': covariates are a right-hand side only (such as "
            "'age + south'); '~' may only start it"
        )
    colset = {str(c) for c in columns}
    used: list[str] = []
    out: list[str] = []
    depth_I: list[int] = []  # paren depths at which an I( ... ) started
    depth = 0
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind in ("name", "quoted"):
            name = tok.text.strip("`") if tok.kind == "quoted" else tok.text
            if "__" in unicodedata.normalize("NFKC", name) and name not in colset:
                raise DataError(f"formula '{formula}': '{name}' is not allowed")
            if nxt is not None and nxt.text == "(" and tok.kind == "name":
                if name not in ALLOWED_FUNCTIONS:
                    raise DataError(
                        f"formula '{formula}': the function '{name}' is not allowed; allowed: "
                        + ", ".join(sorted(ALLOWED_FUNCTIONS))
                    )
                if name == "I":
                    depth_I.append(depth + 1)
                out.append(name + "\0")  # glued to its "(" below
                continue
            if name not in colset:
                raise DataError(
                    f"formula '{formula}' names a column '{name}' that is not in the data"
                    + _suggest(name, columns),
                    column=name,
                )
            if name not in used:
                used.append(name)
            # Python reads identifiers in NFKC form ('ｌｏｇ' is 'log'): quote any other name
            plain = name.isidentifier() and unicodedata.normalize("NFKC", name) == name
            out.append(name if plain else f"`{name}`")
        elif tok.kind == "number":
            out.append(tok.text)
        else:
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                if depth_I and depth_I[-1] == depth:
                    depth_I.pop()
                depth -= 1
                if depth < 0:
                    raise DataError(f"formula '{formula}': unbalanced parentheses")
            if tok.text == "^" and depth_I:
                out.append("**")
                continue
            if tok.text == "**" and not depth_I:
                out.append("^")
                continue
            out.append(tok.text)
    if depth != 0:
        raise DataError(f"formula '{formula}': unbalanced parentheses")
    return " ".join(out).replace("\0 ", ""), used


def split_formula(formula: str) -> tuple[str | None, str]:
    """``'y ~ a + b'`` -> ``('y', 'a + b')``; ``'~ a'`` or ``'a'`` -> ``(None, 'a')``."""
    if formula.count("~") > 1:
        raise DataError(f"formula '{formula}' has more than one '~'")
    if "~" in formula:
        lhs, rhs = formula.split("~")
        lhs = lhs.strip().strip("`") or None
    else:
        lhs, rhs = None, formula
    rhs = rhs.strip() or "1"
    return lhs, rhs


def formula_columns(rhs: str, columns: Sequence[str]) -> list[str]:
    """Columns a right-hand side uses (validating it on the way)."""
    return _check_and_rewrite(rhs, columns)[1]


_OP_SPACES = re.compile(r"\s*(\*\*|[-+*/^])\s*")


def _pretty(name: str) -> str:
    """Term names as R prints them: no backticks, and inside a function call no spaces
    around operators and ``^`` for powers (``I((cov.age/10)^2)``)."""
    name = name.replace("`", "")
    out, depth, start = [], 0, 0
    for i, ch in enumerate(name):
        if ch == "(":
            if depth == 0:
                out.append(name[start : i + 1])
                start = i + 1
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                inner = name[start:i]
                out.append(
                    _OP_SPACES.sub(lambda m: "^" if m.group(1) == "**" else m.group(1), inner)
                )
                start = i
    out.append(name[start:])
    return "".join(out)


@dataclass
class DesignMatrix:
    """A model matrix with its column names and the spec to rebuild it on new data."""

    X: np.ndarray
    names: list[str]
    columns: list[str]
    spec: Any
    rhs: str

    def on(self, df: pd.DataFrame) -> np.ndarray:
        """The same design evaluated on other data (e.g. a counterfactual subgroup)."""
        missing = [c for c in self.columns if c not in df.columns]
        if missing:
            raise DataError(f"new data lack the column(s) {missing}", column=missing[0])
        mm = self.spec.get_model_matrix(df, na_action="raise")
        return np.asarray(mm, dtype=float)


def _categories(rhs: str) -> set[str]:
    """Columns a formula names as categories explicitly, ``C(column)``."""
    t = tokenize(rhs)
    return {
        t[i + 2].text.strip("`")
        for i in range(len(t) - 2)
        if t[i].text == "C" and t[i + 1].text == "(" and t[i + 2].kind in ("name", "quoted")
    }


def model_matrix(rhs: str, df: pd.DataFrame, intercept_name: str = "Intercept") -> DesignMatrix:
    """Validate ``rhs`` and build its design matrix on ``df`` (which must have no missing
    values in the columns used: drop or refuse them first, see :func:`unspoken.io.drop_missing`).
    """
    from formulaic import model_matrix as fm

    from unspoken.io.columns import check_numeric_text

    text, used = _check_and_rewrite(rhs, list(df.columns))
    check_numeric_text(df, [c for c in used if c not in _categories(rhs)])
    try:
        with np.errstate(all="ignore"):  # log(0) and the like: named below as not finite
            mm = fm(text, df, na_action="raise")
    except Exception as e:  # formulaic raises many types; give the user one clear message
        plain = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", str(e))  # formulaic's terminal colours
        raise DataError(f"could not build the design from formula '{rhs}': {plain}") from None
    names = [_pretty(str(c)) for c in mm.columns]
    names = [intercept_name if n == "Intercept" else n for n in names]
    X = np.asarray(mm, dtype=float)
    if X.shape[1] == 0:
        raise DataError(f"formula '{rhs}' has no terms (use '1' for an intercept only)")
    finite = np.isfinite(X)
    if not finite.all():  # an infinite covariate value, or e.g. log(0): name term and rows
        from unspoken.io.frames import _raise_rows

        j = int(np.flatnonzero(~finite.all(axis=0))[0])
        rows = np.flatnonzero(~finite[:, j])
        exact = [c for c in used if c == names[j]]
        inside = sorted((c for c in used if c in names[j]), key=len, reverse=True)
        column = (exact or inside or [names[j]])[0]
        _raise_rows(
            df,
            column,
            rows,
            f"formula '{rhs}': term '{names[j]}' is not a finite number in {len(rows)} "
            "row(s) (an infinite value in the data, or e.g. the log of 0)",
        )
    return DesignMatrix(X=X, names=names, columns=used, spec=mm.model_spec, rhs=rhs)


def check_full_rank(X: np.ndarray, names: Sequence[str], what: str = "design") -> None:
    """Refuse a design whose columns are linearly dependent (say which column)."""
    if X.shape[0] < X.shape[1]:
        raise DataError(
            f"the {what} has {X.shape[1]} columns but only {X.shape[0]} rows: too few respondents"
        )
    rank = np.linalg.matrix_rank(X)
    if rank < X.shape[1]:
        # find the first column that adds nothing
        for j in range(1, X.shape[1] + 1):
            if np.linalg.matrix_rank(X[:, :j]) < j:
                raise DataError(
                    f"the {what} is rank deficient: column '{names[j - 1]}' is a linear "
                    "combination of earlier columns (constant or collinear in this subset?)"
                )
