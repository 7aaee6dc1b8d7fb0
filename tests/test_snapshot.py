"""bench/snapshot.py (issue 14): what differs between two runs of the same code is normalised away, and
the compare finds every file that differs or is missing."""
import io

from bench.snapshot import compare, links, normalise


def test_tokens_and_nonces_are_normalised_and_nothing_else():
    token = "IjY0ZjQxYjM3ZTYzMGI2Nzg5ZmQ0MDk1OGFkYzE1YTk2NGQ0OWMxYjAi.aVGmSQ.Xb7uQ3Qp0oZKQ8o3-kqg4p1bB0Y"
    page = (f'<meta name="csrf-token" content="{token}">'
            f'<input id="csrf_token" name="csrf_token" type="hidden" value="{token}">'
            f'<script nonce="Zx81_a-Qp2">{{"csrf": "{token}"}}</script><a href="/x/?csrf_token={token}&id=5">5А</a>')
    out = normalise(page)
    assert token not in out and "Zx81_a-Qp2" not in out
    assert out.count("CSRF-TOKEN") == 4 and 'nonce="NONCE"' in out and "&id=5\">5А</a>" in out


def test_links_are_this_sites_pages_once_each():
    html = ('<a href="/journal/">Журнал</a><a class="x" href="/journal/">again</a><a href="//evil/">x</a>'
            '<a href="https://example.org/">x</a><a href="/static/app.js">x</a><a href="/staff/export/csv/">x</a>'
            '<a href="/reports/summary-ledger/?format=xlsx&amp;class=5А">x</a>'
            '<a href="/students/?page=2&amp;sort=1">x</a>')
    assert links(html) == ["/journal/", "/students/?page=2&sort=1"]


def test_compare_reports_changed_and_missing_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "teacher").mkdir(parents=True)
        (root / "teacher" / "home.html").write_text("<h4>Здравствуйте</h4>\n", encoding="utf-8")
    out = io.StringIO()
    assert compare(a, b, out) and "equal: 1 files" in out.getvalue()
    (b / "teacher" / "home.html").write_text("<h4>Привет</h4>\n", encoding="utf-8")
    (a / "teacher" / "report.json").write_text("{}\n", encoding="utf-8")
    out = io.StringIO()
    assert not compare(a, b, out)
    text = out.getvalue()
    assert "only in" in text and "teacher/report.json" in text
    assert "-<h4>Здравствуйте</h4>" in text and "+<h4>Привет</h4>" in text and "2 file(s) differ" in text
