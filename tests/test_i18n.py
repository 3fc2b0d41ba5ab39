"""The UI in seven languages: complete catalogs, every string looked up at build time translated,
and dates and numbers in each locale's own format (CLDR via Babel)."""

from __future__ import annotations

import functools
import gettext
import re
from datetime import datetime, timedelta, timezone

import lxml.html
import pytest
from babel.messages.pofile import read_po

from sitebuilds import EXAMPLE_NOW, MAINTENANCE_NOW, example_content, parse, quiet, text_of
from statusgen import i18n, validate
from statusgen.build import load_site
from statusgen.render import html
from statusgen.theme import resolve_theme
from statusgen.timeparse import zone

TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%[sd]")


def catalog(language: str):
    with i18n.catalog_path(language).open("rb") as po:
        return read_po(po, locale=language, domain=i18n.DOMAIN)


def key(message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def template():
    return i18n.extract()


def test_languages_match_what_site_yaml_accepts():
    assert set(i18n.LANGUAGES) == set(validate.LANGUAGES)
    assert set(TRANSLATED) == {p.parent.parent.name for p in i18n.LOCALES_DIR.glob("*/LC_MESSAGES/statusgen.po")}


def test_the_committed_template_matches_the_sources(template):
    """statusgen.pot lists exactly the strings in the templates and code (run python -m statusgen.i18n)."""
    with (i18n.LOCALES_DIR / "statusgen.pot").open("rb") as pot:
        committed = {key(m) for m in read_po(pot) if m.id}
    assert committed == {key(m) for m in template if m.id}
    assert len(committed) > 80


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_ui_string_is_translated(language, template):
    cat = catalog(language)
    wanted = {key(m): m for m in template if m.id}
    have = {key(m): m for m in cat if m.id}
    assert set(wanted) - set(have) == set(), f"{language}: strings missing from the catalog"
    assert set(have) - set(wanted) == set(), f"{language}: obsolete strings (run python -m statusgen.i18n)"
    nplurals = cat.num_plurals
    for k, source in wanted.items():
        message = have[k]
        assert not message.fuzzy, f"{language}: fuzzy {k}"
        if isinstance(source.id, tuple):
            forms = message.string
            assert isinstance(forms, tuple) and len(forms) == nplurals and all(forms), f"{language}: {k} {forms}"
            allowed = placeholders(source.id[0]) | placeholders(source.id[1])
            for form in forms:
                assert placeholders(form) <= allowed, f"{language}: {k}: {form}"
            assert placeholders(forms[-1]) == placeholders(source.id[1]), f"{language}: {k}: {forms[-1]}"
        else:
            assert message.string, f"{language}: untranslated {k}"
            assert placeholders(message.string) == placeholders(source.id), f"{language}: {k}: {message.string}"


class Recording(gettext.NullTranslations):
    """Every lookup made while building, checked against the real catalog afterwards."""

    def __init__(self, real: gettext.NullTranslations):
        super().__init__()
        self.real, self.seen = real, set()

    def gettext(self, message):
        self.seen.add((None, message))
        return self.real.gettext(message)

    def ngettext(self, singular, plural, n):
        self.seen.add((None, singular))
        return self.real.ngettext(singular, plural, n)

    def pgettext(self, context, message):
        self.seen.add((context, message))
        return self.real.pgettext(context, message)

    def npgettext(self, context, singular, plural, n):
        self.seen.add((context, singular))
        return self.real.npgettext(context, singular, plural, n)


@functools.cache
def rendered(language: str) -> tuple[dict[str, lxml.html.HtmlElement], frozenset]:
    """The example's HTML pages at EXAMPLE_NOW, and every lookup made while rendering them and the
    same site during its maintenance window (open incident, upcoming and ongoing maintenance)."""
    recorder = Recording(i18n.translations(language))
    content = example_content(language)
    site = load_site(content)
    theme = resolve_theme(content, site.theme)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(i18n, "translations", lambda lang: recorder)
        outputs = html.render(site, datetime.fromisoformat(EXAMPLE_NOW), theme)
        html.render(site, datetime.fromisoformat(MAINTENANCE_NOW), theme)
    pages = {path: lxml.html.fromstring(data) for path, data in outputs if path.endswith(".html")}
    return pages, frozenset(recorder.seen)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_lookup_during_a_build_finds_a_translation(language):
    """Catches strings built at run time or looked up with the wrong context, which extraction misses."""
    seen = rendered(language)[1]
    translated = {key(m) for m in catalog(language) if m.id and m.string and all(m.string)}
    assert len(seen) > 60
    assert seen - translated == set()


# ---------------------------------------------------------------- what readers see in each language

EXPECTED = {
    # language: (html lang, headline, "As of" line, a month heading, 99.93 % as written, services heading)
    "en": ("en", "Minor service disruption", "As of Nov 22, 2026, 9:00 AM CET", "October 2026", "99.93%", "Services"),
    "de": ("de", "Leichte Störung", "Stand: 22. Nov. 2026, 09:00 MEZ", "Oktober 2026", "99,93 %", "Dienste"),
    "fr": ("fr", "Perturbation mineure", "État au 22 nov. 2026, 09:00 CET", "octobre 2026", "99,93 %", "Services"),
    "es": ("es", "Interrupción menor del servicio", "Actualizado el 22 nov 2026, 9:00 CET", "octubre de 2026",
           "99,93 %", "Servicios"),
    "ru": ("ru", "Незначительные неполадки", "По состоянию на 22 нояб. 2026 г., 09:00 CET", "октябрь 2026 г.",
           "99,93 %", "Сервисы"),
    "zh": ("zh-Hans", "服务轻微中断", "截至2026年11月22日 09:00 CET", "2026年10月", "99.93%", "服务"),
    "ja": ("ja", "軽微なサービス障害", "2026年11月22日 9:00 CET時点", "2026年10月", "99.93%", "サービス"),
}


def normalize(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_pages_in_each_language(language):
    lang, headline, as_of, month, percent, services = EXPECTED[language]
    pages = rendered(language)[0]
    doc = pages["index.html"]
    assert doc.get("lang") == lang
    main = normalize(text_of(doc.xpath("//main")[0]))
    assert normalize(text_of(doc.xpath("//h1")[0])) == headline
    assert normalize(as_of) in main, main[:400]
    assert normalize(percent) in main
    assert normalize(text_of(doc.xpath("//h2[@id='services-title']")[0])) == services
    history = normalize(text_of(pages["history/index.html"].xpath("//main")[0]))
    assert month in history
    # content is never translated: titles stay as their authors wrote them
    assert "Delayed webhook deliveries for EU customers" in main


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_ui_words_left(language, template):
    """No English UI string of three words or more appears on any page type of a translated site."""
    english = sorted({m.id if isinstance(m.id, str) else m.id[1] for m in template if m.id}, key=len)
    phrases = {PLACEHOLDER.sub("", s).strip(" .:") for s in english}
    phrases = {p for p in phrases if len(p.split()) >= 3 and "%" not in p}
    assert len(phrases) > 20
    pages = rendered(language)[0]
    assert len(pages) > 50
    for rel, doc in pages.items():
        text = text_of(doc)
        leaked = sorted(p for p in phrases if p in text)
        assert leaked == [], f"{language} {rel}: {leaked}"
    quiet_text = text_of(parse(quiet(language) / "index.html"))
    assert not [p for p in phrases if p in quiet_text]


def test_durations_and_counts_follow_the_catalog():

    de = i18n.ui_for("de", zone("Europe/Berlin"))
    assert de.duration(timedelta(hours=1, minutes=35)) == "1 Std. 35 Min."
    assert de.duration(timedelta(days=2, hours=3)) == "2 Tg. 3 Std."
    ru = i18n.ui_for("ru", zone("Europe/Berlin"))
    forms = [ru.ngettext("%(num)s entry", "%(num)s entries", n) % {"num": n} for n in (1, 3, 5, 21)]
    assert forms == ["1 запись", "3 записи", "5 записей", "21 запись"]
    ja = i18n.ui_for("ja", zone("Asia/Tokyo"))
    assert ja.duration(timedelta(minutes=20)) == "20分"
    with pytest.raises(ValueError):
        i18n.ui_for("pt", zone("UTC"))


def test_zone_names_for_other_zones():
    moment = datetime(2026, 7, 1, 12, tzinfo=timezone.utc)

    def shown(language: str, tz: str) -> str:
        return normalize(i18n.ui_for(language, zone(tz)).timestamp(moment))

    assert shown("en", "America/New_York") == "Jul 1, 2026, 8:00 AM EDT"
    assert shown("en", "UTC") == "Jul 1, 2026, 12:00 PM UTC"
    assert shown("de", "Europe/Berlin") == "1. Juli 2026, 14:00 MESZ"  # CLDR's German name
    # no abbreviation in the tz database: an offset instead
    assert shown("en", "America/Sao_Paulo") == "Jul 1, 2026, 9:00 AM GMT-03:00"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_moment_converted_once_reads_as_each_format_says(language):
    """Pages take a time's four forms from UI.stamps() in one conversion: the same as asking for each."""
    moments = [datetime(2026, 3, 29, 0, 59, tzinfo=timezone.utc), datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc),
               datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc),
               datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))]  # fmt: skip
    for tz in ("Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata", "UTC"):
        ui = i18n.ui_for(language, zone(tz))
        for moment in moments:
            iso, text, clock, day = ui.stamps(moment)
            assert iso == moment.astimezone(zone(tz)).isoformat()
            assert (text, clock, day) == (ui.timestamp(moment), ui.clock_zone(moment), ui.day(moment))
            assert text.startswith(ui.timestamp(moment, zone=False)) and text.endswith(ui.zone_abbr(moment))
            assert day in text and ui.clock(moment) in text
