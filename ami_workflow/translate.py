"""The message catalogue's lookups: the language in force and its gettext translations.

This is the bottom of the package, below :mod:`ami_workflow.errors`, so that
every error can be worded in the reader's language. Choosing the language
(with its checks) and formatting dates and amounts are in
:mod:`ami_workflow.i18n`, which re-exports what is here.

    >>> import contextvars
    >>> contextvars.copy_context().run(lambda: (LANGUAGE.set("fr"), _("possible here: {triggers}"))[1])
    'possible ici : {triggers}'
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import os
from functools import cache
from pathlib import Path

__all__ = ["CLICK_DOMAIN", "DEFAULT_LANGUAGE", "DOMAIN", "LANGUAGE", "LANGUAGES", "LOCALE_DIR", "N_", "_",
           "current_language", "ngettext", "translations"]

#: The languages the library speaks, and their Babel locales.
LANGUAGES = {"fr": "fr_FR", "en": "en_GB"}
DEFAULT_LANGUAGE = "fr"
#: The prefix of the catalogues' gettext domains: one per area of the code (``ami_workflow-core``,
#: ``ami_workflow-cli``…), each in ``LOCALE_DIR/<lang>/LC_MESSAGES/<domain>.mo``, chained in one lookup.
DOMAIN = "ami_workflow"
#: The catalogue of click's own strings, a text domain of its own (click asks the standard ``gettext.gettext``).
CLICK_DOMAIN = "ami_workflow-click"
LOCALE_DIR = Path(__file__).parent / "locale"

#: The language chosen for the current context (thread or task), if any: set it through ami_workflow.i18n.
LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar("ami_workflow_language", default=None)


def current_language() -> str:
    """The language in force: the one chosen, else ``$AMI_WORKFLOW_LANG``, else French; never the system locale."""
    chosen = LANGUAGE.get()
    if chosen is not None:
        return chosen
    env = os.environ.get("AMI_WORKFLOW_LANG", "").strip().lower()
    return env if env in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The catalogue of ``language``; English is the messages as written.

    The areas' catalogues are chained in the order of their names (``cli`` first), each parsed when a lookup
    first falls through to it: ``--help`` reads only the command line's. A message has one translation across
    the catalogues (tools/catalog.py), so the order changes no answer.
    """
    if language not in LANGUAGES or language == "en":
        return _gettext.NullTranslations()
    found = sorted(path for path in (LOCALE_DIR / language / "LC_MESSAGES").glob(f"{DOMAIN}-*.mo")
                   if path.stem != CLICK_DOMAIN)
    return _Deferred(tuple(found)) if found else _gettext.NullTranslations()


class _Deferred(_gettext.NullTranslations):
    """The chain of the catalogues at ``paths``: the first parsed at its first lookup, the rest behind it."""

    def __init__(self, paths: tuple[Path, ...]) -> None:
        super().__init__()
        self._paths = paths
        self._loaded: _gettext.NullTranslations | None = None

    def _catalogue(self) -> _gettext.NullTranslations:
        if self._loaded is None:
            with self._paths[0].open("rb") as handle:
                catalogue = _gettext.GNUTranslations(handle)
            if len(self._paths) > 1:
                catalogue.add_fallback(_Deferred(self._paths[1:]))
            self._loaded = catalogue
        return self._loaded

    def gettext(self, message: str) -> str:
        return self._catalogue().gettext(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._catalogue().ngettext(msgid1, msgid2, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._catalogue().pgettext(context, message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self._catalogue().npgettext(context, msgid1, msgid2, n)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language (in French, 0 and 1 are singular)."""
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (it is translated where it is shown)."""
    return message
