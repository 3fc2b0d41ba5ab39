"""The generator's own words in the site's language: gettext catalogs plus CLDR formats (Babel).

Catalogs live in statusgen/locales/<lang>/LC_MESSAGES/statusgen.po (English is the source language
and has none). They are compiled in memory when first used, so no binary .mo file can go stale or
differ between machines. Only UI strings are translated: content is shown as its authors wrote it.
Dates, times, numbers and percentages come from Babel's CLDR data, never from the OS locale.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_skeleton, format_time, get_timezone_gmt, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LANGUAGES = ("en", "zh", "ru", "de", "fr", "es", "ja")  # what site.yaml's `language:` accepts
SOURCE_LANGUAGE = "en"
DOMAIN = "statusgen"
LOCALES_DIR = Path(__file__).parent / "locales"
# <html lang>: "zh" alone lets browsers pick Traditional glyphs; the catalog is Simplified Chinese.
HTML_LANG = {"zh": "zh-Hans"}


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


def pN_(context: str, message: str) -> tuple[str, str]:
    """Marks a string with a context ("stage", "phase") for extraction; translate with UI.pgettext(*it)."""
    return context, message


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for a language (fuzzy entries are left out, as msgfmt does)."""
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    mo = BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return Translations(mo, domain=DOMAIN)


_LETTERS = re.compile(r"^[^\W\d_]+$")


@dataclass(frozen=True)
class UI:
    """Words and formats for one language and one display zone."""

    language: str
    tz: tzinfo

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    @property
    def html_lang(self) -> str:
        return HTML_LANG.get(self.language, self.language)

    @property
    def translations(self) -> gettext.NullTranslations:
        return translations(self.language)

    # --- words
    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)

    # --- numbers
    def number(self, n: int | float) -> str:
        return _number(self.language, n)

    def percent(self, ratio: float | None) -> str:
        """Uptime with two decimals, as the locale writes percentages ("99,93 %" in German)."""
        if ratio is None:
            return "—"
        pattern = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0.00", 1)
        return format_percent(ratio, pattern, locale=self.locale)

    def share(self, ratio: float) -> str:
        """A whole percentage: "30 %" in French."""
        return format_percent(ratio, locale=self.locale)

    # --- dates and times, always in the display zone
    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def day(self, moment: datetime | date) -> str:
        day = moment.astimezone(self.tz).date() if isinstance(moment, datetime) else moment
        return _day(self.language, day)

    def clock(self, moment: datetime) -> str:
        """The locale's short time of day: "8:28 AM", "08:28"."""
        local = self.local(moment)
        return _clock(self.language, local.hour, local.minute)

    def zone_abbr(self, moment: datetime) -> str:
        """The zone as readers know it at that instant: CLDR's short name ("MEZ"), else the tz
        database's abbreviation ("CET"), else a GMT offset ("GMT-03:00")."""
        local = self.local(moment)
        return _zone_abbr(self.language, local)

    def timestamp(self, moment: datetime, *, zone: bool = True) -> str:
        local, lang = self.local(moment), self.language
        text = _datetime_pattern(lang).format(_clock(lang, local.hour, local.minute), _day(lang, local.date()))
        return f"{text} {_zone_abbr(lang, local)}" if zone else text

    def stamps(self, moment: datetime) -> tuple[str, str, str, str]:
        """(isoformat, timestamp(), clock_zone(), day()) of one moment, converted to the zone once:
        pages show tens of thousands of times."""
        return self.stamp_parts(moment)[:4]

    def stamp_parts(self, moment: datetime) -> tuple[str, str, str, str, str, str, date]:
        """stamps() and what a range of two moments compares: timestamp(zone=False), zone_abbr() and
        the local date (same_day())."""
        local, lang = moment.astimezone(self.tz), self.language
        day_ = local.date()
        clock, day, abbr = _clock(lang, local.hour, local.minute), _day(lang, day_), _zone_abbr(lang, local)
        text = _datetime_pattern(lang).format(clock, day)
        return local.isoformat(), f"{text} {abbr}", f"{clock} {abbr}", day, text, abbr, day_

    def clock_zone(self, moment: datetime) -> str:
        return f"{self.clock(moment)} {self.zone_abbr(moment)}"

    def same_day(self, a: datetime, b: datetime) -> bool:
        return self.local(a).date() == self.local(b).date()

    def month(self, year: int, month: int) -> str:
        """ "November 2026", "2026年11月", "ноябрь 2026 г." (the stand-alone month form)."""
        return format_skeleton("yMMMM", date(year, month, 1), locale=self.locale)

    def zone_name(self) -> str:
        """The display zone's long name, "Central European Time", in the UI language."""
        return get_timezone_name(self.tz, locale=self.locale)

    def duration(self, delta: timedelta) -> str:
        """'1 h 35 min', '3 d 4 h', in the catalog's abbreviations and the locale's digits."""
        minutes = int(delta.total_seconds() // 60)
        days, rem = divmod(minutes, 24 * 60)
        hours, mins = divmod(rem, 60)
        n = self.number
        if days:
            if hours:
                return self.gettext("%(days)s d %(hours)s h") % {"days": n(days), "hours": n(hours)}
            return self.gettext("%(days)s d") % {"days": n(days)}
        if hours:
            if mins:
                return self.gettext("%(hours)s h %(minutes)s min") % {"hours": n(hours), "minutes": n(mins)}
            return self.gettext("%(hours)s h") % {"hours": n(hours)}
        return self.gettext("%(minutes)s min") % {"minutes": n(mins)}


# Locale.parse builds a new object on every call; a Locale is never changed once made.
@lru_cache(maxsize=None)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@lru_cache(maxsize=None)
def _datetime_pattern(language: str) -> str:
    """How the locale joins a time ({0}) and a date ({1}): "{1}, {0}"."""
    return _locale(language).datetime_formats["medium"]


# Counts and durations repeat on every page. typed: 1, 1.0 and True are equal keys, not equal numbers.
@lru_cache(maxsize=4096, typed=True)
def _number(language: str, n: int | float) -> str:
    return format_decimal(n, locale=_locale(language))


# Babel takes about a millisecond per formatted time; a site with 10,000 incidents shows tens of
# thousands of times, but only a few thousand distinct days, 1,440 clock times and two zone names.
@lru_cache(maxsize=None)
def _day(language: str, day: date) -> str:
    return format_skeleton("yMMMd", day, locale=_locale(language))


@lru_cache(maxsize=None)
def _clock(language: str, hour: int, minute: int) -> str:
    return format_time(time(hour, minute), "short", locale=_locale(language))


_ZONE_NAMES: dict[tuple, str] = {}  # a memo, like lru_cache, keyed by what the name depends on


def _zone_abbr(language: str, local: datetime) -> str:
    key = (language, local.tzinfo, local.utcoffset(), local.tzname())
    if key not in _ZONE_NAMES:
        locale = _locale(language)
        cldr = format_time(local, "z", locale=locale)
        name = local.tzname() or ""
        if cldr and _LETTERS.match(cldr):
            _ZONE_NAMES[key] = cldr
        elif _LETTERS.match(name):
            _ZONE_NAMES[key] = name
        else:
            _ZONE_NAMES[key] = get_timezone_gmt(local, "long", locale=locale)
    return _ZONE_NAMES[key]


def ui_for(language: str, tz: tzinfo) -> UI:
    if language not in LANGUAGES:
        raise ValueError(f"no UI language '{language}'; available: {', '.join(LANGUAGES)}")
    return UI(language, tz)


# ---------------------------------------------------------------- keeping the catalogs complete

# Where UI strings are written: the default theme's templates and the Python that makes view models.
SOURCES = (
    ("themes/default/templates/**.html", "jinja2"),
    ("statusgen/render/html.py", "python"),
    ("statusgen/i18n.py", "python"),
)
KEYWORDS = {"N_": None, "pN_": ((1, "c"), 2)}


def extract() -> "Catalog":
    """Every UI string in SOURCES, as a template catalog (what a .pot file holds)."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    root = Path(__file__).resolve().parent.parent
    catalog = Catalog(project="statusgen", domain=DOMAIN, fuzzy=False)
    found = extract_from_dir(
        root, method_map=[(pattern, method) for pattern, method in SOURCES],
        keywords={**DEFAULT_KEYWORDS, **KEYWORDS}, comment_tags=("Translators:",), strip_comment_tags=True,
    )  # fmt: skip
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def update_catalogs() -> None:
    """Write statusgen.pot and merge new strings into every language's .po (for translators).

    Files are written without line numbers or dates, so they change only when the strings do.
    """
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    def save(path: Path, catalog: Catalog) -> None:
        catalog.fuzzy = False
        catalog.creation_date = catalog.revision_date = FIXED_DATE
        catalog.header_comment = HEADER_COMMENT
        catalog.project, catalog.version = "statusgen", "1"
        catalog.msgid_bugs_address = catalog.last_translator = catalog.language_team = ""
        with path.open("wb") as out:
            write_po(out, catalog, sort_output=True, width=100, include_lineno=False,
                     include_previous=False, ignore_obsolete=True)  # fmt: skip

    template = extract()
    LOCALES_DIR.mkdir(exist_ok=True)
    save(LOCALES_DIR / f"{DOMAIN}.pot", template)
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = catalog_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as po:
                catalog = read_po(po, locale=language, domain=DOMAIN)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        save(path, catalog)


FIXED_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
HEADER_COMMENT = (
    "# statusgen's own words, never site content. After changing UI strings,\n"
    "# run `python -m statusgen.i18n` and fill every empty msgstr\n"
    "# (tests/test_i18n.py fails while one is missing)."
)


if __name__ == "__main__":  # python -m statusgen.i18n: refresh the catalogs after changing UI strings
    update_catalogs()
