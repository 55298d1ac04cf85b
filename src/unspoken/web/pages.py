"""The HTML of the local web page: plain forms, inline CSS, every text escaped."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from urllib.parse import quote

import pandas as pd

from unspoken.web.analyses import ANALYSES, Analysis, Field, problems

_e = html.escape

_CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f3f3ef;color:#1d1d1b;
 font:16px/1.5 system-ui,-apple-system,'Segoe UI',Arial,sans-serif}
main{max-width:66rem;margin:0 auto;padding:1.2rem 1.6rem 3rem;background:#fff;min-height:100vh}
h1{font:700 1.8rem/1.2 Georgia,'Times New Roman',serif;margin:.4rem 0 .2rem}
h1 small{font:400 1rem system-ui,sans-serif;color:#555;display:block;margin-top:.3rem}
h2{font:700 1.3rem/1.3 Georgia,serif;margin:1.8rem 0 .6rem;padding-top:.8rem;
 border-top:3px solid #1d1d1b}
h2 .step{display:inline-block;background:#1d1d1b;color:#fff;border-radius:50%;width:1.7rem;
 height:1.7rem;text-align:center;font:600 1rem/1.7rem system-ui,sans-serif;margin-right:.5rem}
.privacy{background:#eef5ee;border-left:4px solid #3d7a46;padding:.5rem .9rem;margin:.8rem 0;
 font-size:.92rem}
.error{background:#fdecea;border-left:5px solid #b3261e;padding:.7rem 1rem;margin:.8rem 0;
 font-weight:600;white-space:pre-wrap}
.row{display:flex;gap:2rem;flex-wrap:wrap}
.box{flex:1 1 22rem;min-width:0;border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem}
.box h3{margin:0 0 .5rem;font-size:1rem}
label{display:block;font-weight:600;font-size:.92rem;margin:.7rem 0 .15rem}
.error a{color:#b3261e}
.field-error{color:#b3261e;font-weight:600;font-size:.88rem;margin:.15rem 0 .25rem}
.invalid select,.invalid input[type=text]{border:2px solid #b3261e}
.invalid input[type=checkbox]{outline:2px solid #b3261e}
.check{display:flex;gap:.5rem;align-items:flex-start;margin-top:.7rem}
.check label{margin:0}
details.more{margin-top:1rem;border-top:1px solid #ccc;padding-top:.4rem}
details.more summary{cursor:pointer;font-weight:600;color:#1d4f91}
.help{display:block;font-weight:400;color:#555;font-size:.82rem}
select,input[type=text]{font:inherit;padding:.3rem .4rem;width:100%;max-width:26rem;
 border:1px solid #999;border-radius:4px;background:#fff}
input[type=file]{font:inherit}
button{font:600 1rem system-ui,sans-serif;padding:.45rem 1.3rem;margin-top:.8rem;
 background:#1d4f91;color:#fff;border:0;border-radius:4px;cursor:pointer}
button:hover{background:#163e73}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:0 2rem}
nav.tabs{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0 1rem}
nav.tabs a{padding:.35rem .8rem;border:1px solid #1d4f91;border-radius:4px;color:#1d4f91;
 text-decoration:none;font-size:.92rem}
nav.tabs a.on{background:#1d4f91;color:#fff}
.blurb{color:#333;margin:.2rem 0 .4rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0}
th,td{padding:.2rem .6rem;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}
th{border-bottom:2px solid #1d1d1b}
.meta{color:#444;font-size:.92rem}
.links a{margin-right:1.2rem;font-weight:600}
iframe{width:100%;height:1400px;border:1px solid #ccc;border-radius:6px;margin-top:.6rem}
footer{margin-top:2rem;color:#666;font-size:.8rem}
"""

# the only JavaScript: grow the report frame to the report's height (the page works without)
_RESIZE = (
    "<script>function fit(f){function h(){try{var b=f.contentWindow.document.body;"
    "f.style.height=(Math.ceil(b.getBoundingClientRect().height)+24)+'px'}"
    "catch(e){}}h();setTimeout(h,300);setTimeout(h,1500)}</script>"
)

ENCODINGS = {
    "cp1251": "Cyrillic, Windows",
    "koi8-r": "Cyrillic, KOI8-R",
    "cp1252": "Western European, Windows",
    "latin-1": "Western European, ISO 8859-1",
    "utf-16": "UTF-16 (some Excel exports)",
}

PRIVACY = (
    "Everything runs on this computer. A file you upload is kept in a private temporary "
    "folder on this computer (readable by your user only) and deleted when you stop the "
    "program; nothing is sent anywhere, and the page loads nothing from the internet."
)


def page(body: str, title: str = "unspoken") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n{_RESIZE}\n</head>\n<body>\n<main>\n"
        "<h1>unspoken<small>Measure what people will not say out loud: list experiments, "
        "randomized response, the gap between said and hidden, pooled polls.</small></h1>\n"
        f'<p class="privacy">{_e(PRIVACY)}</p>\n{body}\n'
        "<footer>unspoken local page. Stop it with Ctrl-C in the window where it was started."
        "</footer>\n</main>\n</body>\n</html>\n"
    )


def error_box(message: str | None) -> str:
    if not message:
        return ""
    return f'<div class="error" role="alert">{_e(message)}</div>'


def token_input(token: str) -> str:
    """The hidden field that proves a form came from this page (see ``server.State.token``)."""
    return f'<input type="hidden" name="token" value="{_e(token)}">' if token else ""


def data_step(choices: Sequence[tuple[str, str]], current: str | None, token: str = "") -> str:
    """Step 1: pick one of ``choices`` (value, text: the bundled data sets and the uploads
    still kept) or upload a file."""
    opts = "".join(
        f'<option value="{_e(n)}"{" selected" if n == current else ""}>{_e(t)}</option>'
        for n, t in choices
    )
    enc = '<option value="">automatic (UTF-8)</option>' + "".join(
        f'<option value="{_e(k)}">{_e(k)} — {_e(v)}</option>' for k, v in ENCODINGS.items()
    )
    return (
        '<h2><span class="step">1</span>Choose the data</h2>\n<div class="row">\n'
        '<form class="box" method="get" action="/">\n<h3>An example data set</h3>\n'
        f'<label for="data">Data set</label><select id="data" name="data">{opts}</select>\n'
        '<button type="submit">Use this data</button>\n</form>\n'
        '<form class="box" method="post" action="/upload" enctype="multipart/form-data">\n'
        f"{token_input(token)}<h3>Your own file</h3>\n"
        '<label for="file">CSV, Parquet, Stata (.dta) or SPSS (.sav) file'
        '<span class="help">Stays on this computer.</span></label>'
        '<input id="file" type="file" name="file" required '
        'accept=".csv,.tsv,.txt,.gz,.parquet,.pq,.dta,.sav,.zsav,.xlsx">\n'
        '<label for="encoding">Text encoding<span class="help">Only for a CSV or older '
        "SPSS/Stata file whose letters come out wrong.</span></label>"
        f'<select id="encoding" name="encoding">{enc}</select>\n'
        '<button type="submit">Upload</button>\n</form>\n</div>'
    )


def data_preview(label: str, df: pd.DataFrame, note: str = "", nrows: int | None = None) -> str:
    """The size, column kinds and first rows of ``df`` (which may be just those first rows
    of a data set of ``nrows`` rows)."""
    head = df.head(8)
    cols = [str(c) for c in df.columns]
    nrows = len(df) if nrows is None else nrows
    th = "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(_cell(v))}</td>" for v in row) + "</tr>"
        for row in head.itertuples(index=False)
    )
    kinds = "".join(f"<td>{_e(_kind(df[c]))}</td>" for c in df.columns)
    return (
        f'<p class="meta"><strong>{_e(label)}</strong>: {nrows:,} rows, {len(cols)} columns.'
        f"{' ' + _e(note) if note else ''}</p>\n"
        '<details open><summary>Columns and first rows</summary><div class="scroll"><table>'
        f"<thead><tr>{th}</tr><tr>{kinds}</tr></thead><tbody>{rows}</tbody></table></div>"
        "</details>"
    )


def _cell(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    s = str(v)
    return s if len(s) <= 40 else s[:39] + "…"


def _kind(s: pd.Series) -> str:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "(labels)"
    if pd.api.types.is_bool_dtype(s):
        return "(yes/no)"
    if pd.api.types.is_numeric_dtype(s):
        return "(number)"
    return "(text)"


def tabs(data_id: str, current: str) -> str:
    links = "".join(
        f'<a href="/?data={quote(data_id)}&amp;analysis={a.key}"'
        f"{' class=on' if a.key == current else ''}>{_e(a.title)}</a>"
        for a in ANALYSES.values()
    )
    return f'<nav class="tabs" aria-label="Analyses">{links}</nav>'


_TICKED = ("on", "yes", "1", "true")


def _field(
    f: Field,
    value: str,
    columns: Sequence[str],
    error: str | None = None,
    datasets: Sequence[tuple[str, str]] = (),
) -> str:
    """One labelled input (id ``f-NAME``, name ``NAME``); ``error`` is shown between the label
    and the input, which then carries ``aria-invalid`` and ``aria-describedby``. A data-set
    field chooses one of ``datasets`` ((id, text) of the uploads kept and the bundled sets)."""
    fid = f"f-{f.name}"
    help_ = f'<span class="help">{_e(f.help)}</span>' if f.help else ""
    lab = f'<label for="{fid}">{_e(f.label)}{help_}</label>'
    err = aria = ""
    if error:
        err = f'<p class="field-error" id="{fid}-error">{_e(error)}</p>'
        aria = f' aria-invalid="true" aria-describedby="{fid}-error"'
    div = '<div class="invalid">' if error else "<div>"
    if f.kind == "check":
        checked = " checked" if value.strip().lower() in _TICKED else ""
        return (
            f'{div}{err}<div class="check"><input type="checkbox" id="{fid}" '
            f'name="{_e(f.name)}" value="yes"{checked}{aria}>{lab}</div></div>'
        )
    if f.kind in ("column", "column_opt", "choice", "dataset", "dataset_opt"):
        if f.kind == "choice":
            options = [(c, f.shown(c)) for c in f.choices]
        elif f.kind in ("dataset", "dataset_opt"):
            blank = "— choose a data set —" if f.kind == "dataset" else "(none)"
            options = [("", blank), *datasets]
        else:
            blank = "— choose a column —" if f.kind == "column" else "(none)"
            options = [("", blank)] + [(c, c) for c in columns]
        opts = "".join(
            f'<option value="{_e(v)}"{" selected" if v == value else ""}>{_e(t)}</option>'
            for v, t in options
        )
        return f'{div}{lab}{err}<select id="{fid}" name="{_e(f.name)}"{aria}>{opts}</select></div>'
    extra = {"int": "numeric", "int_opt": "numeric", "number": "decimal"}.get(f.kind)
    mode = f' inputmode="{extra}"' if extra else ""
    return (
        f'{div}{lab}{err}<input type="text" id="{fid}" name="{_e(f.name)}" value="{_e(value)}"'
        f"{mode}{aria}></div>"
    )


def _summary(found: Sequence[tuple[str | None, str | None, str]]) -> str:
    """The short list of problems at the top of the form, each linking to its field."""
    if not found:
        return ""
    items = [
        f'<a href="#f-{_e(name)}">{_e(label)}</a>: {_e(text)}' if name and label else _e(text)
        for name, label, text in found
    ]
    head = (
        "Please check this and press Run again:"
        if len(items) == 1
        else (f"Please check these {len(items)} things and press Run again:")
    )
    return f'<div class="error" role="alert">{head}\n' + "\n".join(items) + "</div>"


def analysis_form(
    data_id: str,
    analysis: Analysis,
    values: Mapping[str, str],
    columns: Sequence[str],
    error: str | BaseException | None = None,
    token: str = "",
    datasets: Sequence[tuple[str, str]] = (),
) -> str:
    """The form of ``analysis``. ``error`` (a :class:`~unspoken.web.analyses.FormError`, or
    its text) is summed up above the form and shown next to each field it names; options
    under "More options" are folded away unless one is set or has an error. ``datasets``:
    (id, text) of the data sets a data-set field may choose."""
    found = problems(analysis, error)
    at: dict[str, str] = {}
    for name, _, text in found:
        if name is not None and analysis.find(name) is not None:
            at.setdefault(name, text)

    def render(f: Field) -> str:
        return _field(f, values.get(f.name, "") or "", columns, at.get(f.name), datasets)

    basic = "\n".join(render(f) for f in analysis.fields if not f.advanced)
    nl = "\n"
    more_fields = [f for f in analysis.fields if f.advanced]
    more = ""
    if more_fields:
        opened = any(
            f.name in at or (values.get(f.name, "") or "") != f.default for f in more_fields
        )
        more = (
            f'<details class="more"{" open" if opened else ""}><summary>More options</summary>\n'
            f'<div class="grid">\n{nl.join(render(f) for f in more_fields)}\n</div></details>\n'
        )
    no_data = ""
    if not analysis.uses_data:
        no_data = (
            '<p class="meta">This calculation uses no data unless a field names a column.</p>\n'
        )
    return (
        f'<p class="blurb">{_e(analysis.blurb)}</p>\n{no_data}{_summary(found)}\n'
        '<form method="post" action="/run#analysis">\n'
        f"{token_input(token)}"
        f'<input type="hidden" name="data" value="{_e(data_id)}">'
        f'<input type="hidden" name="analysis" value="{_e(analysis.key)}">\n'
        f'<div class="grid">\n{basic}\n</div>\n{more}<button type="submit">Run</button>\n</form>'
    )


def result_block(result_id: str, title: str) -> str:
    rid = quote(result_id)
    return (
        f'<h2 id="result"><span class="step">4</span>Result: {_e(title)}</h2>\n<p class="links">'
        f'<a href="/report/{rid}.html" target="_blank">Open the report in a new tab</a>'
        f'<a href="/report/{rid}.html?download=1">Download the report (HTML)</a>'
        f'<a href="/report/{rid}.json?download=1">Download the numbers (JSON)</a></p>\n'
        f'<iframe title="Report" src="/report/{rid}.html" onload="fit(this)"></iframe>'
    )
