"""Two .xlsx files compared part by part (tests/test_xlsx_sheet.py, bench/xlsx_sheet.py)."""
import io
import re
import zipfile

_CORE = "docProps/core.xml"
_DATES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")


def parts(data):
    """{name: bytes} of the zip's parts, in order, core.xml without its dates."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        out = {info.filename: z.read(info) for info in z.infolist()}
    if _CORE in out:
        out[_CORE] = _DATES.sub(b"", out[_CORE])
    return out


def differing_parts(a, b):
    """The names of the parts that differ (or exist in one only) — [] when the files are the same."""
    pa, pb = parts(a), parts(b)
    if list(pa) != list(pb):
        return sorted(set(pa) ^ set(pb)) or ["(порядок частей)"]
    return [name for name in pa if pa[name] != pb[name]]
