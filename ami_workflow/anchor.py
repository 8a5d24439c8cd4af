"""Anchoring the journal: signed checkpoints of its head, kept outside the database.

A hash chain shows an edited event, but not a history rewritten with every
hash recomputed, nor a cut tail (see :mod:`ami_workflow.journal`). So the
operator signs, now and then, a *checkpoint* of the head (the last seq and
its hash) with an Ed25519 key and appends it to an anchor file kept
elsewhere. An auditor holding only the public key checks the journal against
it with :func:`check_against_anchor`. Pure: no database, no clock.

The signed bytes (auditors reimplement this) are the UTF-8 text, each line
ending with ``\\n``::

    ami_workflow checkpoint v1
    seq=<seq in decimal, from 1>
    head=<hash of event seq: 64 lowercase hex digits>
    recorded_at=<ISO 8601 instant with its UTC offset, as given>
    key_id=<first 16 hex digits of SHA-256 of the 32 raw public key bytes>

The anchor file is JSON Lines: one checkpoint per line, an object with the
keys ``seq``, ``head``, ``recorded_at``, ``key_id`` and ``signature`` (the
64-byte signature in standard base64).

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> from ami_workflow.journal import GENESIS, link
>>> key = Ed25519PrivateKey.generate()
>>> first = link(GENESIS, 1, {"dossier": "AMI-001", "trigger": "submit"})
>>> mark = sign_checkpoint(key, 1, first.hash, "2021-04-12T09:30:00+02:00")
>>> verify_checkpoint(key.public_key(), mark) is None
True
>>> check_against_anchor([first], [mark], key.public_key()) is None
True
>>> check_against_anchor([], [mark], key.public_key())
ChainProblem(seq=1, reason='cut: the journal ends at seq 0, but a checkpoint was signed at seq 1')
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .boundary import checked
from .checks import file_path
from .errors import AnchorError, InvalidInput, InvalidType
from .i18n import N_, _
from .journal import ChainedEvent, ChainProblem, verify_chain
from .shown import shown

if TYPE_CHECKING:  # cryptography is imported by the functions that sign or load keys: not at start-up
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "Checkpoint",
    "append_checkpoint",
    "check_against_anchor",
    "checkpoint_message",
    "generate_key",
    "key_id",
    "load_private_key",
    "load_public_key",
    "read_checkpoints",
    "sign_checkpoint",
    "verify_checkpoint",
]

PathLike = str | os.PathLike[str]
_HEX = frozenset("0123456789abcdef")
_FIELDS = ("head", "key_id", "recorded_at", "seq", "signature")


@attrs.frozen
class Checkpoint:
    """A signed statement that the journal's event ``seq`` has the hash ``head``."""

    seq: int
    head: str
    recorded_at: str
    key_id: str
    signature: str


def generate_key(private_path: PathLike, public_path: PathLike, *, password: bytes | None = None) -> None:
    """Write a new Ed25519 key pair as PEM: the private key (PKCS#8, mode 0o600) and the public key.

    The private key is encrypted with ``password`` when given. A file is never
    overwritten: if either exists, :class:`~ami_workflow.errors.AnchorError` and nothing is written.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if password is not None and (not isinstance(password, bytes) or not password):
        raise AnchorError(_("password: expected non-empty bytes, or None for an unencrypted key"))
    private_path, public_path = file_path(private_path, "private_path"), file_path(public_path, "public_path")
    key, pem = Ed25519PrivateKey.generate(), serialization.Encoding.PEM
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    private = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, encryption)
    public = key.public_key().public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)
    for path in (public_path, private_path):
        if os.path.lexists(path):
            raise AnchorError(_("{path}: already exists; a key file is never overwritten").format(path=os.fspath(path)))
    _write_new(private_path, private, 0o600)
    try:
        _write_new(public_path, public, 0o644)
    except AnchorError:
        os.unlink(private_path)  # ours: created just above
        raise


def _write_new(path: PathLike, data: bytes, mode: int) -> None:
    try:  # O_EXCL: never overwrite, even a file created since the check
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as error:
        raise AnchorError(_("{path}: cannot be created ({reason})").format(
            path=os.fspath(path), reason=error.strerror)) from None
    with os.fdopen(fd, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _read(path: PathLike, message: str) -> bytes:
    """The bytes of ``path``; ``message`` (marked with ``N_``, with ``{path}`` and ``{reason}``) if unreadable."""
    path = file_path(path)
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise AnchorError(_(message).format(path=os.fspath(path), reason=error.strerror)) from None


def load_private_key(path: PathLike, password: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path``; :class:`~ami_workflow.errors.AnchorError` if unusable."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data, name = _read(path, N_("{path}: cannot read the private key ({reason})")), os.fspath(path)
    if b"PUBLIC KEY-----" in data:
        raise AnchorError(_("{path}: this is a public key; signing needs the private key file").format(path=name))
    try:
        key = serialization.load_pem_private_key(data, password)
    except TypeError:
        reason = _("the key is not encrypted") if password else _("the key is encrypted: a password is needed")
        raise AnchorError(_("{path}: {problem}").format(path=name, problem=reason)) from None
    except (ValueError, UnsupportedAlgorithm):
        reason = _("wrong password, or not a valid PEM private key") if password else _("not a valid PEM private key")
        raise AnchorError(_("{path}: {problem}").format(path=name, problem=reason)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(_("{path}: a {type}, not an Ed25519 private key").format(path=name, type=type(key).__name__))
    return key


def load_public_key(path: PathLike) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file ``path``; :class:`~ami_workflow.errors.AnchorError` if unusable."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data, name = _read(path, N_("{path}: cannot read the public key ({reason})")), os.fspath(path)
    if b"PRIVATE KEY-----" in data:
        raise AnchorError(_("{path}: this is a private key; give the public key file").format(path=name))
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise AnchorError(_("{path}: not a valid PEM public key").format(path=name)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise AnchorError(_("{path}: a {type}, not an Ed25519 public key").format(path=name, type=type(key).__name__))
    return key


def _public(key: object) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(key, Ed25519PublicKey):
        raise InvalidType(_("public_key: expected an Ed25519 public key, got {type}").format(type=type(key).__name__))
    return key


def private_key_of(key: object) -> Ed25519PrivateKey:
    """``key`` if it is an Ed25519 private key; :class:`~ami_workflow.errors.InvalidType` otherwise."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidType(_("private_key: expected an Ed25519 private key, got {type}").format(
            type=type(key).__name__))
    return key


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key: names the key in a checkpoint."""
    from cryptography.hazmat.primitives import serialization

    public_key = _public(public_key)
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _field_problem(seq: Any, head: Any, recorded_at: Any, key: Any) -> str | None:
    """What is wrong with a checkpoint's fields, or ``None``."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return _("seq: expected an integer from 1, got {seq!r}").format(seq=shown(seq))
    for name, value, size in (("head", head, 64), ("key_id", key, 16)):
        if not isinstance(value, str) or len(value) != size or not set(value) <= _HEX:
            return _("{field}: expected {size} lowercase hex digits, got {value!r}").format(
                field=name, size=size, value=shown(value))
    try:
        instant = datetime.fromisoformat(recorded_at) if isinstance(recorded_at, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None or not recorded_at.isascii():
        return _("recorded_at: expected an ISO 8601 instant with its UTC offset, got {value!r}").format(
            value=shown(recorded_at))
    return None


def checkpoint_message(seq: int, head: str, recorded_at: str, key_id: str) -> bytes:
    """The exact bytes signed for a checkpoint (the format is in the module's docstring).

    >>> print(checkpoint_message(7, "0f" * 32, "2021-04-12T09:30:00+02:00", "0123456789abcdef").decode(), end="")
    ami_workflow checkpoint v1
    seq=7
    head=0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f
    recorded_at=2021-04-12T09:30:00+02:00
    key_id=0123456789abcdef

    Raises :class:`~ami_workflow.errors.InvalidInput` for a field of the wrong form.
    """
    problem = _field_problem(seq, head, recorded_at, key_id)
    if problem is not None:
        raise InvalidInput(problem)
    lines = (
        "ami_workflow checkpoint v1", f"seq={seq}", f"head={head}", f"recorded_at={recorded_at}", f"key_id={key_id}"
    )
    return "".join(line + "\n" for line in lines).encode("ascii")


def sign_checkpoint(private_key: Ed25519PrivateKey, seq: int, head: str, recorded_at: str) -> Checkpoint:
    """A checkpoint of the journal's event ``seq`` whose hash is ``head``, signed with ``private_key``."""
    private_key = private_key_of(private_key)
    ident = key_id(private_key.public_key())
    signature = private_key.sign(checkpoint_message(seq, head, recorded_at, ident))
    return Checkpoint(seq, head, recorded_at, ident, base64.b64encode(signature).decode("ascii"))


def verify_checkpoint(public_key: Ed25519PublicKey, checkpoint: Checkpoint) -> None:
    """Return if ``checkpoint`` was signed by ``public_key``'s private key and is unchanged.

    Otherwise raise :class:`~ami_workflow.errors.AnchorError`: signed by
    another key, or a bad signature (a field or the signature was changed).
    """
    from cryptography.exceptions import InvalidSignature

    if not isinstance(checkpoint, Checkpoint):
        raise InvalidType(_("checkpoint: expected a Checkpoint, got {type}").format(type=type(checkpoint).__name__))
    expected = key_id(public_key)
    if checkpoint.key_id != expected:
        raise AnchorError(_("signed by another key (key_id {key_id!r}, expected {expected!r})").format(
            key_id=shown(checkpoint.key_id), expected=shown(expected)))
    fields = (checkpoint.seq, checkpoint.head, checkpoint.recorded_at, checkpoint.key_id)
    problem = _field_problem(*fields)
    if problem is not None:
        raise AnchorError(_("malformed checkpoint: {problem}").format(problem=problem))
    try:
        public_key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint_message(*fields))
    except (binascii.Error, TypeError, ValueError, InvalidSignature):
        raise AnchorError(_("bad signature: the checkpoint or its signature was changed")) from None


def check_anchor_file(path: PathLike) -> None:
    """Raise :class:`~ami_workflow.errors.AnchorError` now if ``checkpoint`` could not be appended to ``path``.

    The file is created (empty) if need be: a checkpoint is journaled first, and its line appended after the
    commit, so the file must be known usable before.
    """
    path = file_path(path, "anchor_file")
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise AnchorError(_("{path}: cannot open the anchor file ({reason})").format(
            path=os.fspath(path), reason=error.strerror)) from None
    with os.fdopen(fd, "r+b"):
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            raise AnchorError(_("{path}: its last line is unfinished; repair the file first").format(
                path=os.fspath(path)))


def append_checkpoint(path: PathLike, checkpoint: Checkpoint) -> None:
    """Append ``checkpoint`` as one JSON line to the anchor file ``path`` (created if need be); flush and fsync.

    A file whose last line is unfinished (a torn write) raises
    :class:`~ami_workflow.errors.AnchorError` rather than get the new line glued to it.
    """
    path = file_path(path)
    if not isinstance(checkpoint, Checkpoint):
        raise InvalidType(_("checkpoint: expected a Checkpoint, got {type}").format(type=type(checkpoint).__name__))
    line = json.dumps(attrs.asdict(checkpoint), sort_keys=True, separators=(",", ":")) + "\n"
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as error:
        raise AnchorError(_("{path}: cannot open the anchor file ({reason})").format(
            path=os.fspath(path), reason=error.strerror)) from None
    with os.fdopen(fd, "r+b") as file:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            raise AnchorError(_("{path}: its last line is unfinished; repair the file first").format(
                path=os.fspath(path)))
        file.write(line.encode("ascii"))
        file.flush()
        os.fsync(fd)


def read_checkpoints(path: PathLike) -> list[Checkpoint]:
    """Every checkpoint of the anchor file ``path``, in file order; signatures are not checked here.

    A line that is not a well-formed checkpoint raises
    :class:`~ami_workflow.errors.AnchorError` naming the file, the line number and the problem.
    """
    data, name = _read(path, N_("{path}: cannot read the anchor file ({reason})")), os.fspath(path)
    checkpoints: list[Checkpoint] = []
    lines = data.split(b"\n")
    if not lines[-1]:  # the end of the last line, or an empty file
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        try:
            record = json.loads(raw)
        except ValueError:
            raise AnchorError(_("{path}: line {number}: not a JSON object").format(path=name, number=number)) from None
        if not isinstance(record, dict) or sorted(record) != list(_FIELDS):
            raise AnchorError(_("{path}: line {number}: expected exactly the keys {keys}").format(
                path=name, number=number, keys=", ".join(_FIELDS)))
        problem = _field_problem(record["seq"], record["head"], record["recorded_at"], record["key_id"])
        if problem is None and not isinstance(record["signature"], str):
            problem = _("signature: expected base64 text")
        if problem is not None:
            raise AnchorError(_("{path}: line {number}: {problem}").format(path=name, number=number, problem=problem))
        checkpoints.append(Checkpoint(**record))
    return checkpoints


@checked
def check_against_anchor(
    events: Iterable[ChainedEvent], checkpoints: Sequence[Checkpoint], public_key: Ed25519PublicKey
) -> ChainProblem | None:
    """Check the journal against the anchor in one pass; ``None`` when both agree.

    First every checkpoint must verify with ``public_key`` (a forged or
    altered anchor is reported before the journal is read, at the
    checkpoint's seq). Then ``events`` are streamed once through
    :func:`~ami_workflow.journal.verify_chain`, and the event at each
    checkpoint's seq must exist and have the signed hash. The first problem
    by seq is returned: ``rewritten`` (another hash at a checkpoint's seq:
    the history up to it was changed and re-hashed), ``cut`` (the journal
    ends before a checkpoint's seq), or any problem of the chain itself.
    Events after the last checkpoint are fine.
    """
    _public(public_key)
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq if isinstance(c.seq, int) else 0):
        try:
            verify_checkpoint(public_key, checkpoint)
        except AnchorError as error:
            return ChainProblem(checkpoint.seq, _("checkpoint at seq {seq}: {problem}").format(
                seq=checkpoint.seq, problem=error))
    wanted = {checkpoint.seq for checkpoint in checkpoints}
    seen: dict[int, str] = {}
    last = 0

    def watch() -> Iterator[ChainedEvent]:
        nonlocal last
        for event in events:
            if isinstance(event, ChainedEvent) and isinstance(event.seq, int):
                last = max(last, event.seq)
                if event.seq in wanted:
                    seen.setdefault(event.seq, event.hash)
            yield event

    problem = verify_chain(watch())
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        if problem is not None and problem.seq <= checkpoint.seq:
            break
        if checkpoint.seq not in seen:
            reason = _("cut: the journal ends at seq {last}, but a checkpoint was signed at seq {seq}").format(
                last=last, seq=checkpoint.seq)
            return ChainProblem(last + 1, reason)
        if seen[checkpoint.seq] != checkpoint.head:
            reason = _("rewritten: event {seq} does not have the hash signed at {recorded_at}").format(
                seq=checkpoint.seq, recorded_at=checkpoint.recorded_at)
            return ChainProblem(checkpoint.seq, reason)
    return problem
