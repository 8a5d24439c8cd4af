"""Single-line fields and free texts (issue 14): control characters, bidirectional controls and unpaired
surrogates refused with the character named, NFC normalisation, and the call's ``[limits]``."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from walk import CAMPAIGN, applicant, application, new_flow

from ami_workflow import Application, CommitteeSession, Member
from ami_workflow.callfile import parse_campaign
from ami_workflow.checks import LINE_MAX, TEXT_MAX, free_text, optional_text, required_text
from ami_workflow.errors import CallFileError, InvalidInput
from ami_workflow.piece_file import read_piece
from ami_workflow.pieces import PaperOriginal
from ami_workflow.rollover import campaign_to_toml
from ami_workflow.triggers import parse_args

BAD_LINE = [
    ("Asso\x00", "control character U[+]0000"),
    ("Asso\nforgée", "control character U[+]000A"),
    ("Asso\r", None),  # stripped at the end: nothing left to refuse
    ("A\rB", "control character U[+]000D"),
    ("A\tB", "control character U[+]0009"),
    ("A\x1b[31mB", "control character U[+]001B"),
    ("A\x85B", "control character U[+]0085"),
    ("A\u202eB", "bidirectional control character U[+]202E [(]RIGHT-TO-LEFT OVERRIDE[)]"),
    ("A\u2066B", "bidirectional control character U[+]2066"),
    ("A\u200fB", "bidirectional control character U[+]200F"),
    ("A\u061cB", "bidirectional control character U[+]061C"),
    ("A\ud800B", "unpaired surrogate U[+]D800"),
    ("x" * (LINE_MAX + 1), f"{LINE_MAX + 1} characters in a single-line text, more than the {LINE_MAX} allowed"),
]


@pytest.mark.parametrize(("value", "problem"), BAD_LINE)
def test_rule_single_line_fields_refuse_controls_bidi_and_surrogates(value: str, problem: str | None) -> None:
    if problem is None:
        assert required_text(value) == value.strip()
        return
    with pytest.raises(InvalidInput, match=problem):
        required_text(value)
    with pytest.raises(InvalidInput, match=problem):
        optional_text(value)


@pytest.mark.parametrize(
    "build",
    [
        lambda v: applicant(1, name=v),
        lambda v: applicant(1, legal_representative=v),
        lambda v: application(title=v),
        lambda v: Member(v, "elus"),
        lambda v: CommitteeSession(v, date(2021, 6, 15), "VP", "VP", ()),
        lambda v: PaperOriginal("dossier_demande", date(2021, 4, 2), True, v),
        lambda v: parse_args("pay", {"reference": v}),
        lambda v: parse_args("hear", {"session": v}),
    ],
    ids=["name", "legal_representative", "title", "member", "session-id", "signed_by", "payment-ref", "hear-session"],
)
def test_rule_each_single_line_field_is_checked(build: Any) -> None:
    with pytest.raises(InvalidInput, match=r"U\+0000"):
        build("Lens\x00")
    with pytest.raises(InvalidInput, match=r"U\+202E"):
        build("Lens\u202e")


@pytest.mark.parametrize(
    "build",
    [
        lambda v: parse_args("reject", {"motivation": v}),
        lambda v: parse_args("withdraw", {"reason": v}),
        lambda v: parse_args("instruct", {"note": v}),
        lambda v: parse_args("return_for_pieces", {"issues": [{"key": "rib", "reason": "missing", "note": v}]}),
        lambda v: application(description=v),
        lambda v: application(sourcing=v),
    ],
    ids=["motivation", "withdraw-reason", "instruct-note", "issue-note", "description", "sourcing"],
)
def test_rule_free_texts_keep_newlines_and_tabs_but_refuse_other_controls(build: Any) -> None:
    kept = build("Motif :\n\t- pièces manquantes")
    assert "Motif :\n\t- pièces manquantes" in repr(attrs.asdict(kept)).replace("\\n", "\n").replace("\\t", "\t")
    for bad, code in (("a\x00b", "0000"), ("a\x1bb", "001B"), ("a\u202eb", "202E"), ("a\udfffb", "DFFF")):
        with pytest.raises(InvalidInput, match=f"U[+]{code}"):
            build(bad)


def test_rule_free_texts_have_their_own_larger_ceiling() -> None:
    assert len(free_text("x" * TEXT_MAX)) == TEXT_MAX
    with pytest.raises(InvalidInput, match=f"more than the {TEXT_MAX} allowed"):
        free_text("x" * (TEXT_MAX + 1))


@given(st.text(alphabet=st.characters(categories=["L", "M", "N", "Zs"]), min_size=1, max_size=40))
def test_rule_texts_are_nfc_normalised(text: str) -> None:
    expected = unicodedata.normalize("NFC", text).strip()
    if expected:
        assert required_text(text) == expected
        assert required_text(unicodedata.normalize("NFD", text)) == expected


def test_rule_a_decomposed_name_is_the_same_applicant() -> None:
    composed = applicant(1, name="Association Léo Lagrange", siren=None)
    decomposed = applicant(1, name=unicodedata.normalize("NFD", "Association Léo Lagrange"), siren=None)
    assert composed.identity == decomposed.identity


# -- the call's [limits] ------------------------------------------------------------------------------------


def _with_limits(text: str) -> Any:
    """The 2021 call with its ``[limits]`` table written as ``text``."""
    toml = campaign_to_toml(CAMPAIGN)
    start = toml.index("[limits]\n")
    end = toml.find("\n[", start)
    return parse_campaign(toml[:start] + "[limits]\n" + text + (toml[end:] if end >= 0 else ""), source="call.toml")


def test_rule_limits_have_safe_defaults() -> None:
    assert (CAMPAIGN.limits.piece_max_bytes, CAMPAIGN.limits.line_max, CAMPAIGN.limits.text_max) == (
        20 * 1024 * 1024, 300, 10_000)


def test_rule_limits_are_read_from_the_call_file_and_written_back() -> None:
    campaign = _with_limits("piece_max_bytes = 1024\nline_max = 40\ntext_max = 200\n")
    assert (campaign.limits.piece_max_bytes, campaign.limits.line_max, campaign.limits.text_max) == (1024, 40, 200)
    assert parse_campaign(campaign_to_toml(campaign)) == campaign


@pytest.mark.parametrize("bad", ["line_max = 0", f"line_max = {LINE_MAX + 1}", "text_max = -1",
                                 "piece_max_bytes = 0", "piece_max_bytes = 99999999999", "colour = 3"])
def test_rule_limits_out_of_range_are_refused_by_the_call_file(bad: str) -> None:
    with pytest.raises(CallFileError):
        _with_limits(bad + "\n")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_rule_the_calls_limits_are_checked_where_the_call_is_known(backend: str) -> None:
    campaign = _with_limits("piece_max_bytes = 16\nline_max = 40\ntext_max = 30\n")
    flow = new_flow(backend, campaign)
    with pytest.raises(InvalidInput, match="title: 45 characters, more than the 40 the call allows"):
        flow.create_dossier(applicant(1), application(title="t" * 45))
    ref = flow.create_dossier(applicant(1), application(title="t" * 40)).reference
    version = flow.get(ref).version
    with pytest.raises(InvalidInput, match="description: 31 characters, more than the 30"):
        flow.update_application(ref, application(description="d" * 31), expected_version=version)
    with pytest.raises(InvalidInput, match="reason: 31 characters, more than the 30"):
        flow.fire(ref, "withdraw", reason="r" * 31)
    with pytest.raises(InvalidInput, match="17 bytes, more than the 16 the call allows"):
        flow.attach(ref, "statuts", b"x" * 17)
    flow.attach(ref, "statuts", b"x" * 16)
    assert flow.get(ref).piece("statuts") is not None


def test_rule_a_piece_file_is_refused_before_it_is_read_past_the_limit(tmp_path: Path, monkeypatch: Any) -> None:
    campaign = _with_limits("piece_max_bytes = 1000\n")
    flow = new_flow("sqlite", campaign, path=str(tmp_path / "a.db"))
    ref = flow.create_dossier(applicant(1), application()).reference
    big = tmp_path / "statuts.pdf"
    big.write_bytes(b"y" * 5_000_000)
    read: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        stream = real_open(self, *args, **kwargs)
        real_read = stream.read

        def read_some(size: int = -1) -> bytes:
            chunk: bytes = real_read(size)
            read.append(len(chunk))
            return chunk

        stream.read = read_some
        return stream

    monkeypatch.setattr(Path, "open", counting_open)
    with pytest.raises(InvalidInput, match="larger than the 1000 bytes the call allows"):
        flow.attach(ref, "statuts", big)
    assert sum(read) == 1001  # never more than the limit and one byte
    monkeypatch.undo()
    small = tmp_path / "rib.pdf"
    small.write_bytes(b"z" * 1000)
    flow.attach(ref, "rib", small)
    piece = flow.get(ref).piece("rib")
    assert piece is not None and piece.size == 1000 and piece.filename == "rib.pdf"
    assert flow.file(piece.sha256 or "") == b"z" * 1000


def test_read_piece_hashes_while_reading_in_chunks(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "p.bin"
    data = bytes(range(256)) * 9000  # over two chunks
    path.write_bytes(data)
    blob, digest = read_piece(path, limit=len(data))
    assert blob == data and digest == hashlib.sha256(data).hexdigest()


def test_an_unreadable_piece_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot be read"):
        read_piece(tmp_path, limit=10)  # a folder


def test_application_keeps_its_defaults() -> None:
    assert Application().cost_nature == "fonctionnement"


def test_the_refusals_are_worded_in_french() -> None:
    from ami_workflow.i18n import use_language

    with use_language("fr"), pytest.raises(InvalidInput) as caught:
        required_text("Asso\x00")
    assert str(caught.value) == "caractère de contrôle U+0000 refusé dans un texte d'une seule ligne"
    campaign = _with_limits("line_max = 40\n")
    flow = new_flow("memory", campaign)
    with use_language("fr"), pytest.raises(InvalidInput) as caught:
        flow.create_dossier(applicant(1), application(title="t" * 45))
    assert str(caught.value) == "title : 45 caractères, au-delà des 40 que l'appel permet"


def _slow_problem(value: str, allowed: frozenset[str], limit: int) -> bool:
    """The checks of ami_workflow.checks, character by character (what its ASCII fast path must agree with)."""
    bidi = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
    return (any(0xD800 <= ord(c) <= 0xDFFF or c in bidi or (unicodedata.category(c) == "Cc" and c not in allowed)
                for c in value) or len(value) > limit)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F) | st.sampled_from("é\u202e\u200f\ud800\x85"), max_size=30),
       st.integers(min_value=0, max_value=40))
def test_the_ascii_fast_path_of_the_text_checks_finds_what_the_full_scan_finds(value: str, limit: int) -> None:
    from ami_workflow.checks import line_problem, text_problem

    assert (line_problem(value, limit) is not None) == _slow_problem(value, frozenset(), limit)
    assert (text_problem(value, limit) is not None) == _slow_problem(value, frozenset("\n\t"), limit)
