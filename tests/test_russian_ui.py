"""Russian everywhere (issue 15.7): every page each demo role reaches from its home page, in a school and in a
college, shows no English word of the interface, no «None», no field's code name, none of the clumsy phrases
of Flask-Admin's shipped catalogue, and in a college no school word."""
import re
from html.parser import HTMLParser

import pytest

from models import db
from tests.helpers import open_browser

PASSWORD = "demo-pass-2026"
# Not pages, or a page of the same words as one read already (an edit form is its create form filled in).
NOT_PAGES = ("/static/", "/export/", "format=", "/logout", ".xlsx", ".json", "/download", "/edit/")
# Attributes a user reads; the rest (classes, names, ids, data-* but the confirmation) is not shown.
SHOWN = ("title", "placeholder", "alt", "aria-label", "data-confirm")
ENGLISH = re.compile(
    r"\b(items?|User|Created|Applied|None|Organization|Shift|Cancels|Number|Year|Save|Delete|Filter|Edit|List|"
    r"Create|Details|Add|Search|Export|Home|Cancel|Submit|Record|records|Actions|With selected|Are you sure|"
    r"Yes|No|Select|Remove|Back|View|Name|Date|Title|Kind|Type|Status|True|False|Page|Next|Previous|Apply|"
    r"Reset|Clear|equals|contains|greater|smaller|empty|between|Government|decree|Saturday|At|By)\b")
CODE_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a column's name (`class_id`, `last_name`) shown as it is
CLUMSY = re.compile(r"элементы|Добавить Фильтр|добавить новый объект|Вы уверены что|удалено 0|Сброс Фильтров|"
                    r"С выбранным\b|Было удалено")
# A school's words a college never shows: the phrases of the issue anywhere (a report's document included) …
SCHOOL_PHRASES = re.compile(r"по классу|[Дд]вижение учащихся|[Кк]лассн(ый|ого|ому|ым|ых) руководител|весь класс")
# … and класс, ученик («Учеников»), учитель in any form on every page but a report's (its document's column
# titles are the reports' own: reports/document.py FIGURE_FIELDS).
SCHOOL_WORDS = re.compile(r"\b[Кк]ласс(а|ы|ов|у|ом|е|ам|ах)?\b|\b[Уу]чени(к|ки|ков|ку|ком|ка)\b|"
                          r"\b[Уу]чител(ь|я|ю|ем|ей|ям)\b|\b[Уу]чащи(х|е)ся\b")
# The regional roll-ups (/regional/) are reports too, over a municipality's schools and colleges together.
REPORT = re.compile(r"^/reports/[\w-]+/|^/regional/")


class ShownText(HTMLParser):
    """The text a user sees (text outside <script>, <style>, <template> and hidden elements: Flask-Admin's
    filter data in a `d-none` div; the shown attributes; a button's value) and the page's local links."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._open, self._hidden_at = [], [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            self._open.append(tag)
            hidden = tag in ("script", "style", "template") or "hidden" in attrs or \
                "d-none" in (attrs.get("class") or "").split()
            if hidden and self._hidden_at is None:
                self._hidden_at = len(self._open)
        if self._hidden_at is not None:
            return
        self.parts += [attrs[name] for name in SHOWN if attrs.get(name)]
        if tag in ("input", "button") and (attrs.get("type") or "") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])
        href = attrs.get("href") or ""
        if tag == "a" and href.startswith("/") and not href.startswith("//") and not any(n in href for n in NOT_PAGES):
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass
        if self._hidden_at is not None and len(self._open) < self._hidden_at:
            self._hidden_at = None

    def handle_data(self, data):
        if self._hidden_at is None and data.strip():
            self.parts.append(data.strip())


def shown(resp):
    parser = ShownText()
    parser.feed(resp.get_data(as_text=True))
    return " | ".join(parser.parts), parser.links


def crawl(b, cards):
    """{url: shown text} of the home page, every page it links to (the menu) and every page those link to (a
    list's cards and forms, a journal's grid …): one page per path, ids aside. A page two clicks away is
    read once for all roles (`cards`: the paths read so far), the menu's pages for each role."""
    seen, found = set(), {}
    level = ["/"]
    for depth in range(3):
        following = []
        for url in level:
            path = re.sub(r"\d+", "N", url.split("?")[0])
            if path in seen or depth == 2 and path in cards:
                continue
            seen.add(path)
            if depth == 2:
                cards.add(path)
            resp = b.get(url)
            assert resp.status_code in (200, 302, 403, 404), (url, resp.status_code)
            if resp.status_code == 302 and depth == 0:  # a regional specialist's start: the region's roll-ups
                level.append(resp.headers["Location"])  # read at this depth, as the start page is
                continue
            if resp.status_code != 200 or not resp.content_type.startswith("text/html"):
                continue
            found[url], links = shown(resp)
            following += links
        level = following
    return found


def problems(url, text, college):
    patterns = [ENGLISH, CODE_NAME, CLUMSY]
    if college:
        patterns += [SCHOOL_PHRASES] if REPORT.match(url) else [SCHOOL_PHRASES, SCHOOL_WORDS]
    return sorted({m.group(0) for pattern in patterns for m in pattern.finditer(text)})


def demo_accounts(app, kind):
    """[(role, login)] of the demo data's accounts, one per role (`flask demo-data`)."""
    result = app.test_cli_runner().invoke(args=["demo-data", "--kind", kind, "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    accounts = []
    for line in result.output.splitlines()[2:]:
        match = re.match(r"^(\S.*?)\s{2,}(\S+)\s{2,}\S+\s+.+$", line)
        if match:
            accounts.append(match.group(1, 2))
    assert len(accounts) == 10, result.output  # the eight roles of the school and the two regional specialists
    return accounts


@pytest.mark.parametrize("kind", ["school", "college"])
def test_every_page_of_every_role_is_in_russian(app, browser, kind):
    found, cards = {}, set()
    for role, login in demo_accounts(app, kind):
        pages = crawl(open_browser(browser, login, PASSWORD), cards)
        assert len(pages) > (2 if role in ("Обучающийся", "Родитель") else 5), (role, list(pages))
        for url, text in pages.items():
            bad = problems(url, text, kind == "college")
            if bad:
                found[(role, url)] = bad
    assert not found, "\n".join(f"{role} {url}: {', '.join(bad)}" for (role, url), bad in found.items())
