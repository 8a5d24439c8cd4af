"""French by default: every message of the code is translated, the catalogues are compiled, and the output is French.

The catalogue check is tools/catalog.py's own (``python tools/catalog.py check``). The last test walks the demo
through the command line in French and looks for English words in what a person reads.
"""

from __future__ import annotations

import gettext
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import catalog  # noqa: E402

from ami_workflow.cli import main  # noqa: E402
from ami_workflow.i18n import current_language, use_language  # noqa: E402
from ami_workflow.translate import translations  # noqa: E402


def test_every_message_of_the_code_has_its_french_translation_and_the_catalogues_are_compiled() -> None:
    assert catalog.problems() == []


def test_compiling_a_catalogue_twice_gives_the_same_bytes() -> None:
    for area in catalog.areas():
        assert catalog.compiled(area) == catalog.compiled(area) == catalog.mo_path(area).read_bytes()


_FIELD = re.compile(r"\{([^{}]*)\}")
_PERCENT = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def _fields(text: str) -> set[str]:
    """The names a text formats (``{name!r}`` and ``{name}`` are the same field), and its %-placeholders."""
    braced = text.replace("{{", "").replace("}}", "")  # escaped braces are text
    return {re.split(r"[!:]", f, maxsplit=1)[0] for f in _FIELD.findall(braced)} | {
        f"%{name}" for name in _PERCENT.findall(text)}


def test_every_translation_keeps_the_placeholders_of_its_message() -> None:
    wrong = []
    for area in catalog.areas():
        for message in catalog.read(area):
            if not message.id or not message.string:
                continue
            plural = isinstance(message.id, tuple)
            ids = message.id if plural else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set().union(*(_fields(i) for i in ids))
            for text in strings:  # a plural's singular may leave the count out (« un dossier »), never add a field
                if (not _fields(text) <= wanted) if plural else _fields(text) != wanted:
                    wrong.append((area, ids[0], text))
    assert wrong == []


def test_french_is_the_default_and_the_system_locale_plays_no_part() -> None:
    env = {k: v for k, v in os.environ.items() if k != "AMI_WORKFLOW_LANG"}
    env.update(LANG="en_US.UTF-8", LC_ALL="en_US.UTF-8", LC_MESSAGES="en_US.UTF-8", LANGUAGE="en",
               PYTHONPATH=str(ROOT))
    code = "from ami_workflow.i18n import _, current_language as c; print(c(), _('possible here: {triggers}'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "fr possible ici : {triggers}"


def test_the_language_is_per_context_and_restored() -> None:
    before = current_language()
    with use_language("fr"):
        assert translations("fr").gettext("none") == "aucun"
        with use_language("en"):
            assert current_language() == "en"
        assert current_language() == "fr"
    assert current_language() == before


def test_the_catalogues_read_lazily_give_what_the_eager_chain_gives() -> None:
    paths = sorted(p for p in (ROOT / "ami_workflow" / "locale" / "fr" / "LC_MESSAGES").glob("ami_workflow-*.mo")
                   if p.stem != "ami_workflow-click")
    eager: list[gettext.GNUTranslations] = []
    for path in paths:
        with path.open("rb") as handle:
            eager.append(gettext.GNUTranslations(handle))
    for first, then in itertools.pairwise(eager):
        first.add_fallback(then)
    lazy = translations("fr")
    ids = sorted({key if isinstance(key, str) else key[0] for cat in eager for key in cat._catalog})
    assert len(ids) > 1000 and len(paths) > 3
    assert [lazy.gettext(i) for i in ids] == [eager[0].gettext(i) for i in ids]
    plural = ("truncated: expected {expected} event, found {found}",  # in the last catalogue (store)
              "truncated: expected {expected} events, found {found}")
    assert [lazy.ngettext(*plural, n) for n in (0, 1, 2)] == [eager[0].ngettext(*plural, n) for n in (0, 1, 2)]
    assert lazy.ngettext(*plural, 2) != plural[1]
    assert lazy.gettext("no such message, anywhere") == "no such message, anywhere"


#: Words that a French sentence does not hold (checked as whole words, outside `keys` and file paths).
ENGLISH = ("the", "is", "are", "and", "of", "with", "not", "was", "has", "have", "refused", "submitted", "approved",
           "paid", "dossiers", "due", "late", "none", "event", "events", "amount", "piece", "pieces", "missing")
# « dossiers » is French too: it is checked only in the English sense of "N dossiers," removed below.


def _english_words(text: str) -> list[str]:
    """The lines of ``text`` holding an English word, with the words found."""
    found = []
    for line in text.splitlines():
        bare = re.sub(r"`[^`]*`", " ", line)  # keys the commands take
        bare = re.sub(r"(\S*/\S*)", " ", bare)  # paths, commands and options
        bare = re.sub(r"--[\w-]+", " ", bare)
        words = [w for w in re.findall(r"[A-Za-zÀ-ÿ']+", bare) if w.lower() in ENGLISH and w.lower() != "dossiers"]
        if words:
            found.append(f"{words}: {line.strip()}")
    return found


@pytest.fixture(scope="module")
def french_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[CliRunner, Path, str]:
    db = tmp_path_factory.mktemp("fr") / "ami.db"
    runner = CliRunner()
    # 12 dossiers hold every scenario of the sample (late, missing statutes, under 60 %, withdrawn, convention …)
    result = runner.invoke(main, ["--db", str(db), "demo", "--count", "12"], env={"AMI_WORKFLOW_LANG": "fr"},
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return runner, db, result.output


def test_the_demo_prints_french(french_demo: tuple[CliRunner, Path, str]) -> None:
    _, _, output = french_demo
    assert "Journal : " in output and "intact" in output and "documents émis" in output
    assert _english_words(output) == []


@pytest.mark.parametrize("command", [
    ["report"],
    ["agenda", "--at", "2021-09-15"],
    ["agenda", "--at", "2022-07-15"],
    ["dossier", "list"],
    ["dossier", "show", "ami-cohesion-sociale-2021-0003"],
    ["dossier", "show", "ami-cohesion-sociale-2021-0008"],
    ["document", "list", "ami-cohesion-sociale-2021-0003"],
    ["verify"],
    ["campaign", "show"],
    ["dossier", "fire", "ami-cohesion-sociale-2021-0003", "pay"],
    ["dossier", "fire", "ami-cohesion-sociale-2021-0002", "instruct"],
], ids=lambda c: " ".join(c))
def test_what_a_person_reads_is_french(french_demo: tuple[CliRunner, Path, str], command: list[str]) -> None:
    runner, db, _ = french_demo
    result = runner.invoke(main, ["--db", str(db), *command], env={"AMI_WORKFLOW_LANG": "fr"})
    assert "Traceback" not in result.output
    assert _english_words(result.output) == [], result.output


def test_a_message_in_two_catalogues_has_one_translation() -> None:
    """The library looks a message up in every catalogue in turn: one text must not mean two things."""
    seen: dict[object, tuple[str, object]] = {}
    clashes = []
    for area in catalog.areas():
        if area == catalog.CLICK:  # click's own text domain, looked up apart
            continue
        for message in catalog.read(area):
            if not message.id or not message.string:
                continue
            if message.id in seen and seen[message.id][1] != message.string:
                clashes.append((message.id, seen[message.id], (area, message.string)))
            seen.setdefault(message.id, (area, message.string))
    assert clashes == []
