"""Signed checkpoints of the journal's head: keys, signatures, the anchor file and the check against it."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ami_workflow.anchor import (
    Checkpoint,
    append_checkpoint,
    check_against_anchor,
    checkpoint_message,
    generate_key,
    key_id,
    load_private_key,
    load_public_key,
    read_checkpoints,
    sign_checkpoint,
    verify_checkpoint,
)
from ami_workflow.errors import AmiWorkflowError, AnchorError, InvalidInput
from ami_workflow.journal import GENESIS, ChainedEvent, link

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
AT = "2021-04-12T09:30:00+02:00"


def chain(count: int, start: int = 1, previous: str = GENESIS, note: str = "") -> list[ChainedEvent]:
    events = []
    for seq in range(start, start + count):
        body = {"dossier": f"AMI-{seq % 3:03d}", "trigger": "submit", "note": note if seq == start else ""}
        event = link(previous, seq, body)
        events.append(event)
        previous = event.hash
    return events


# --- keys ---------------------------------------------------------------------


@pytest.mark.parametrize("password", [None, b"correct horse"])
def test_generated_keys_load_and_match(tmp_path: Path, password: bytes | None) -> None:
    private, public = tmp_path / "anchor.key", tmp_path / "anchor.pub"
    generate_key(private, public, password=password)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert (b"ENCRYPTED" in private.read_bytes()) == (password is not None)
    signing = load_private_key(private, password)
    checkpoint = sign_checkpoint(signing, 3, "ab" * 32, AT)
    verify_checkpoint(load_public_key(public), checkpoint)
    assert checkpoint.key_id == key_id(load_public_key(public))


def test_generate_key_never_overwrites(tmp_path: Path) -> None:
    private, public = tmp_path / "anchor.key", tmp_path / "anchor.pub"
    generate_key(private, public)
    before = private.read_bytes(), public.read_bytes()
    with pytest.raises(AnchorError, match="already exists"):
        generate_key(private, tmp_path / "new.pub")
    with pytest.raises(AnchorError, match="already exists"):
        generate_key(tmp_path / "new.key", public)
    assert (private.read_bytes(), public.read_bytes()) == before
    assert not (tmp_path / "new.key").exists() and not (tmp_path / "new.pub").exists()


def test_generate_key_refuses_an_empty_password(tmp_path: Path) -> None:
    with pytest.raises(AnchorError, match="password"):
        generate_key(tmp_path / "k", tmp_path / "p", password=b"")
    assert not list(tmp_path.iterdir())


def test_wrong_missing_or_unexpected_password(tmp_path: Path) -> None:
    generate_key(tmp_path / "enc.key", tmp_path / "enc.pub", password=b"secret")
    generate_key(tmp_path / "plain.key", tmp_path / "plain.pub")
    with pytest.raises(AnchorError, match="wrong password"):
        load_private_key(tmp_path / "enc.key", b"guess")
    with pytest.raises(AnchorError, match="a password is needed"):
        load_private_key(tmp_path / "enc.key")
    with pytest.raises(AnchorError, match="not encrypted"):
        load_private_key(tmp_path / "plain.key", b"secret")


@pytest.mark.parametrize(
    "content", [b"", b"garbage", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]
)
def test_garbled_or_missing_key_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(AnchorError, match=r"bad\.pem: not a valid PEM private key"):
        load_private_key(path)
    with pytest.raises(AnchorError, match=r"bad\.pem"):
        load_public_key(path)
    with pytest.raises(AnchorError, match=r"missing\.pem: cannot read"):
        load_private_key(tmp_path / "missing.pem")
    with pytest.raises(AnchorError, match=r"missing\.pem: cannot read"):
        load_public_key(tmp_path / "missing.pem")


def test_public_and_private_key_files_swapped(tmp_path: Path) -> None:
    generate_key(tmp_path / "anchor.key", tmp_path / "anchor.pub")
    with pytest.raises(AnchorError, match="this is a public key"):
        load_private_key(tmp_path / "anchor.pub")
    with pytest.raises(AnchorError, match="this is a private key"):
        load_public_key(tmp_path / "anchor.key")


def test_keys_of_another_type_are_refused(tmp_path: Path) -> None:
    ec = generate_private_key(SECP256R1())
    (tmp_path / "ec.key").write_bytes(
        ec.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "ec.pub").write_bytes(
        ec.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(AnchorError, match="not an Ed25519 private key"):
        load_private_key(tmp_path / "ec.key")
    with pytest.raises(AnchorError, match="not an Ed25519 public key"):
        load_public_key(tmp_path / "ec.pub")


# --- signing ------------------------------------------------------------------


def test_message_is_the_documented_text() -> None:
    head = "0123456789abcdef" * 4
    assert checkpoint_message(12, head, AT, "fedcba9876543210") == (
        b"ami_workflow checkpoint v1\nseq=12\nhead=" + head.encode() + b"\nrecorded_at=2021-04-12T09:30:00+02:00\n"
        b"key_id=fedcba9876543210\n"
    )


@pytest.mark.parametrize(
    "seq, head, recorded_at, ident",
    [
        (0, "ab" * 32, AT, "0" * 16),
        (True, "ab" * 32, AT, "0" * 16),
        (1, "AB" * 32, AT, "0" * 16),
        (1, "ab" * 31, AT, "0" * 16),
        (1, "ab" * 32, "2021-04-12T09:30:00", "0" * 16),
        (1, "ab" * 32, "yesterday", "0" * 16),
        (1, "ab" * 32, AT + "\nseq=2", "0" * 16),
        (1, "ab" * 32, AT, "0" * 15),
    ],
)
def test_message_refuses_malformed_fields(seq: Any, head: Any, recorded_at: Any, ident: Any) -> None:
    with pytest.raises(InvalidInput):
        checkpoint_message(seq, head, recorded_at, ident)


def test_sign_verify_round_trip() -> None:
    checkpoint = sign_checkpoint(KEY, 5, "cd" * 32, AT)
    assert (checkpoint.seq, checkpoint.head, checkpoint.recorded_at) == (5, "cd" * 32, AT)
    assert len(base64.b64decode(checkpoint.signature)) == 64
    verify_checkpoint(KEY.public_key(), checkpoint)


@given(
    field=st.sampled_from(["seq", "head", "recorded_at", "signature"]),
    seq=st.integers(1, 10**9),
    flip=st.integers(0, 63),
    minutes=st.integers(1, 999_999),
)
def test_any_change_of_a_signed_field_breaks_verification(field: str, seq: int, flip: int, minutes: int) -> None:
    checkpoint = sign_checkpoint(KEY, seq, "0f" * 32, AT)
    if field == "seq":
        changed = attrs.evolve(checkpoint, seq=seq + minutes)
    elif field == "head":
        digit = "0" if checkpoint.head[flip] != "0" else "1"
        changed = attrs.evolve(checkpoint, head=checkpoint.head[:flip] + digit + checkpoint.head[flip + 1 :])
    elif field == "recorded_at":
        changed = attrs.evolve(checkpoint, recorded_at=f"2021-04-12T09:30:00.{minutes:06d}+02:00")
    else:
        raw = bytearray(base64.b64decode(checkpoint.signature))
        raw[flip] ^= 1 << (minutes % 8)
        changed = attrs.evolve(checkpoint, signature=base64.b64encode(bytes(raw)).decode())
    with pytest.raises(AnchorError, match="bad signature"):
        verify_checkpoint(KEY.public_key(), changed)


@pytest.mark.parametrize("signature", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_garbage_signature_is_a_bad_signature(signature: str) -> None:
    checkpoint = attrs.evolve(sign_checkpoint(KEY, 1, "ab" * 32, AT), signature=signature)
    with pytest.raises(AnchorError, match="bad signature"):
        verify_checkpoint(KEY.public_key(), checkpoint)


def test_checkpoint_of_another_key() -> None:
    checkpoint = sign_checkpoint(OTHER, 1, "ab" * 32, AT)
    with pytest.raises(AnchorError, match="another key"):
        verify_checkpoint(KEY.public_key(), checkpoint)
    # Claiming our key id does not help: the signature is still someone else's.
    with pytest.raises(AnchorError, match="bad signature"):
        verify_checkpoint(KEY.public_key(), attrs.evolve(checkpoint, key_id=key_id(KEY.public_key())))


def test_anchor_error_is_a_library_error() -> None:
    assert issubclass(AnchorError, AmiWorkflowError)


# --- the anchor file ----------------------------------------------------------


def test_append_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "journal.anchor"
    marks = [sign_checkpoint(KEY, seq, f"{seq:02x}" * 32, AT) for seq in (1, 4, 9)]
    for mark in marks:
        append_checkpoint(path, mark)
    assert read_checkpoints(path) == marks
    lines = path.read_text("ascii").splitlines()
    assert len(lines) == 3 and json.loads(lines[1])["seq"] == 4
    (tmp_path / "empty").write_bytes(b"")
    assert read_checkpoints(tmp_path / "empty") == []


@pytest.mark.parametrize(
    "line, problem",
    [
        ("{not json", "line 2: not a JSON object"),
        ("[1, 2]", "line 2: expected exactly the keys"),
        ('{"seq": 1}', "line 2: expected exactly the keys"),
        ("", "line 2: not a JSON object"),
    ],
)
def test_a_garbled_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "journal.anchor"
    append_checkpoint(path, sign_checkpoint(KEY, 1, "ab" * 32, AT))
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
    with pytest.raises(AnchorError, match=f"journal.anchor: {problem}"):
        read_checkpoints(path)


@pytest.mark.parametrize(
    "field, value, problem",
    [("seq", "1", "seq"), ("head", "xyz", "head"), ("recorded_at", 3, "recorded_at"), ("signature", 5, "signature")],
)
def test_a_line_with_a_bad_field_is_named(tmp_path: Path, field: str, value: Any, problem: str) -> None:
    record = attrs.asdict(sign_checkpoint(KEY, 1, "ab" * 32, AT))
    record[field] = value
    path = tmp_path / "journal.anchor"
    path.write_text(json.dumps(record) + "\n", "utf-8")
    with pytest.raises(AnchorError, match=f"line 1: {problem}"):
        read_checkpoints(path)


def test_append_refuses_an_unfinished_last_line(tmp_path: Path) -> None:
    path = tmp_path / "journal.anchor"
    path.write_text('{"seq": 1, "he', "ascii")
    with pytest.raises(AnchorError, match="unfinished"):
        append_checkpoint(path, sign_checkpoint(KEY, 1, "ab" * 32, AT))
    assert path.read_text("ascii") == '{"seq": 1, "he'


# --- the journal against its anchor -------------------------------------------


def test_intact_journal_matches_every_checkpoint() -> None:
    events = chain(10)
    marks = [sign_checkpoint(KEY, e.seq, e.hash, AT) for e in events if e.seq in (3, 7, 10)]
    assert check_against_anchor(events, marks, KEY.public_key()) is None
    assert check_against_anchor(iter(events), marks[::-1], KEY.public_key()) is None
    assert check_against_anchor(events, [], KEY.public_key()) is None


def test_events_after_the_last_checkpoint_are_fine() -> None:
    events = chain(5)
    mark = sign_checkpoint(KEY, 5, events[-1].hash, AT)
    longer = events + chain(3, start=6, previous=events[-1].hash)
    assert check_against_anchor(longer, [mark], KEY.public_key()) is None


def test_a_cut_tail_is_found() -> None:
    events = chain(8)
    mark = sign_checkpoint(KEY, 8, events[-1].hash, AT)
    problem = check_against_anchor(events[:5], [mark], KEY.public_key())
    assert problem is not None and problem.seq == 6
    assert problem.reason == "cut: the journal ends at seq 5, but a checkpoint was signed at seq 8"


def test_a_rewritten_and_rehashed_history_is_found() -> None:
    events = chain(8)
    mark = sign_checkpoint(KEY, 6, events[5].hash, AT)
    # Event 3 changed, and it and every later event re-hashed: the chain alone is valid again.
    rewritten = events[:2] + chain(6, start=3, previous=events[1].hash, note="changed")
    problem = check_against_anchor(rewritten, [mark], KEY.public_key())
    assert problem is not None and problem.seq == 6
    assert problem.reason.startswith("rewritten: event 6 does not have the hash signed at")


def test_an_edit_not_rehashed_is_found_by_the_chain() -> None:
    events = chain(6)
    mark = sign_checkpoint(KEY, 6, events[-1].hash, AT)
    edited = list(events)
    edited[2] = attrs.evolve(events[2], body={**events[2].body, "note": "changed"})
    problem = check_against_anchor(edited, [mark], KEY.public_key())
    assert problem is not None and problem.seq == 3 and problem.reason.startswith("edited")


def test_a_forged_checkpoint_is_found() -> None:
    events = chain(6)
    genuine = sign_checkpoint(KEY, 4, events[3].hash, AT)
    forged = attrs.evolve(genuine, seq=6, head=events[5].hash)
    problem = check_against_anchor(events, [genuine, forged], KEY.public_key())
    assert problem is not None and problem.seq == 6
    assert "bad signature" in problem.reason
    foreign = sign_checkpoint(OTHER, 6, events[5].hash, AT)
    problem = check_against_anchor(events, [genuine, foreign], KEY.public_key())
    assert problem is not None and "another key" in problem.reason


def test_the_journal_is_streamed_once() -> None:
    events = chain(4)
    marks = [sign_checkpoint(KEY, 2, events[1].hash, AT), sign_checkpoint(KEY, 4, events[3].hash, AT)]
    assert check_against_anchor((e for e in events), marks, KEY.public_key()) is None


def test_the_check_reads_an_anchor_file(tmp_path: Path) -> None:
    events = chain(5)
    generate_key(tmp_path / "anchor.key", tmp_path / "anchor.pub")
    signing = load_private_key(tmp_path / "anchor.key")
    for event in events[1::2]:
        append_checkpoint(tmp_path / "journal.anchor", sign_checkpoint(signing, event.seq, event.hash, AT))
    marks = read_checkpoints(tmp_path / "journal.anchor")
    assert check_against_anchor(events, marks, load_public_key(tmp_path / "anchor.pub")) is None
    assert check_against_anchor(events[:3], marks, load_public_key(tmp_path / "anchor.pub")) is not None


def test_checkpoint_is_a_frozen_record() -> None:
    checkpoint = sign_checkpoint(KEY, 1, "ab" * 32, AT)
    assert isinstance(checkpoint, Checkpoint)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        checkpoint.seq = 2  # type: ignore[misc]
