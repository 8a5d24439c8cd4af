"""The hash-chained journal: any edit, deletion, insertion or reordering is found at its seq."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import amounts

from ami_workflow.calendar import PARIS
from ami_workflow.errors import InvalidInput
from ami_workflow.journal import (
    GENESIS,
    ChainedEvent,
    ChainProblem,
    canonical_json,
    chain_hash,
    link,
    personal_data_digest,
    replay,
    verify_chain,
)
from ami_workflow.states import CATALOGUE, TRIGGERS, State
from ami_workflow.stored_chain import verify_texts

# --- strategies ---------------------------------------------------------------

references = st.integers(1, 40).map(lambda n: f"AMI-2021-{n:03d}")
states = st.sampled_from([str(s) for s in State])
# Built from minutes rather than st.datetimes(), which is slow to generate.
instants = st.integers(0, 3 * 366 * 24 * 60).map(lambda m: datetime(2021, 1, 1, tzinfo=PARIS) + timedelta(minutes=m))
# Amounts as Decimal or as their exact text: both are journaled as the same text.
money = st.one_of(amounts, amounts.map(str))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=12), amounts, instants, st.dates()
)

NOTES = ["", "pièce reçue", 'dossier "urgent"', "ligne 1\nligne 2"]


def _body(
    dossier: str, trigger: str, source: str, dest: str, at: datetime, amount: Decimal | str, extras: int
) -> dict[str, Any]:
    """An event body; the bits of ``extras`` add optional fields (cheaper to draw than optional keys)."""
    body: dict[str, Any] = {"dossier": dossier, "trigger": trigger, "source": source, "dest": dest, "at": at}
    if extras & 1:
        body["amount"] = amount
    if extras & 2:
        body["pieces"] = frozenset(["rib", "statuts", "kbis"][: extras % 4])
    if extras & 4:
        body["decided_on"] = at.date() + timedelta(days=extras)
    if extras & 8:
        body["note"] = NOTES[extras % len(NOTES)]
    return body


bodies = st.builds(
    _body, references, st.sampled_from(TRIGGERS), states, states, instants, money, st.integers(0, 15)
)


def build(items: Sequence[Mapping[str, Any]]) -> list[ChainedEvent]:
    chain: list[ChainedEvent] = []
    for seq, body in enumerate(items, start=1):
        chain.append(link(chain[-1].hash if chain else GENESIS, seq, body))
    return chain


chains = st.lists(bodies, min_size=1, max_size=6).map(build)
long_chains = st.lists(bodies, min_size=2, max_size=6).map(build)
hex_hashes = st.integers(0, 2**256 - 1).map(lambda n: f"{n:064x}")


def _rows(events: Sequence[ChainedEvent]) -> list[tuple[Any, Any, Any, Any]]:
    """The rows a store would keep for ``events``: their canonical text (or, if it has none, its repr)."""
    rows = []
    for event in events:
        try:
            text = canonical_json(event.body)
        except InvalidInput:
            text = repr(event.body)
        rows.append((event.seq, text, event.previous, event.hash))
    return rows


def check(events: Any, expected_count: int | None = None, expected_head: str | None = None) -> ChainProblem | None:
    """``verify_chain`` of the events, checked to say the same as ``verify_texts`` over their stored rows."""
    events = list(events)
    found = verify_chain(events, expected_count, expected_head)
    stored = verify_texts(iter(_rows(events)), expected_count, expected_head)
    if found is not None and found.reason.startswith("edited"):
        # The same seq, and "edited" too; the details may differ: an edited body is read back from its text.
        assert stored is not None and stored.seq == found.seq and stored.reason.startswith("edited"), stored
    else:
        assert stored == found
    return found


# --- an intact chain ----------------------------------------------------------


@given(chains)
def test_an_intact_chain_verifies_even_read_back_from_json(chain: list[ChainedEvent]) -> None:
    assert check(chain) is None
    assert check(iter(chain), expected_count=len(chain), expected_head=chain[-1].hash) is None
    assert [e.seq for e in chain] == [e.body["seq"] for e in chain] == list(range(1, len(chain) + 1))
    assert all(e.hash == chain_hash(e.previous, e.body) for e in chain)
    # A store keeps canonical_json(body) and reads it back with json.loads: still intact.
    stored = [ChainedEvent(e.seq, json.loads(canonical_json(e.body)), e.previous, e.hash) for e in chain]
    assert check(stored, expected_count=len(chain), expected_head=chain[-1].hash) is None


def test_an_empty_journal_verifies_against_the_genesis() -> None:
    assert check([]) is None
    assert check([], expected_count=0, expected_head=GENESIS) is None
    assert check([], expected_head="f" * 64) == ChainProblem(
        1, "truncated or rewritten: the journal is empty but a head hash was expected"
    )


@given(bodies)
def test_link_copies_the_body_and_sets_seq(body: dict[str, Any]) -> None:
    original = dict(body)
    event = link(GENESIS, 1, body)
    assert body == original and "seq" not in body
    assert event.body == {**body, "seq": 1}


@pytest.mark.parametrize(
    ("previous", "seq", "body"),
    [("abc", 1, {}), ("0" * 63 + "G", 1, {}), (GENESIS, 0, {}), (GENESIS, True, {}), (GENESIS, 1, [1]),
     (GENESIS, 1, {"amount": 1.5})],
)
def test_link_refuses_bad_input(previous: Any, seq: Any, body: Any) -> None:
    with pytest.raises(InvalidInput):
        link(previous, seq, body)


# --- tampering is found at the right seq -------------------------------------


@given(chains, st.data())
def test_every_edited_body_field_is_found_at_its_seq(chain: list[ChainedEvent], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 1), label="index")
    event = chain[index]
    key = data.draw(st.sampled_from(sorted(event.body)), label="field")
    value = data.draw(scalars, label="new value")
    assume(canonical_json(value) != canonical_json(event.body[key]))
    chain[index] = attrs.evolve(event, body={**event.body, key: value})
    problem = check(chain)
    assert problem is not None and problem.seq == index + 1
    assert problem.reason.startswith("edited"), problem


@given(chains, st.data())
def test_an_added_or_removed_body_field_is_found(chain: list[ChainedEvent], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 1), label="index")
    event = chain[index]
    if data.draw(st.booleans(), label="remove"):
        key = data.draw(st.sampled_from(sorted(event.body)), label="field")
        body = {k: v for k, v in event.body.items() if k != key}
    else:
        body = {**event.body, "extra": data.draw(scalars, label="extra")}
    chain[index] = attrs.evolve(event, body=body)
    assert check(chain) == ChainProblem(index + 1, _edited_reason(body, event.seq))


def _edited_reason(body: Mapping[str, Any], seq: int) -> str:
    if body.get("seq") != seq:
        return f"edited: its body says seq {body.get('seq')!r} but it is stored as seq {seq!r}"
    return "edited: its hash does not match its content"


@given(chains, st.data())
def test_an_edited_hash_previous_or_seq_is_found_at_its_seq(chain: list[ChainedEvent], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 1), label="index")
    event = chain[index]
    which = data.draw(st.sampled_from(["hash", "previous", "seq"]), label="attribute")
    if which == "seq":
        new: Any = data.draw(st.integers(0, 20).filter(lambda s: s != event.seq), label="seq")
    else:
        new = data.draw(hex_hashes.filter(lambda h: h != getattr(event, which)), label=which)
    chain[index] = attrs.evolve(event, **{which: new})
    problem = check(chain)
    assert problem is not None and problem.seq == index + 1
    assert problem.reason.startswith("edited"), problem


@given(long_chains, st.data())
def test_an_event_rewritten_with_a_recomputed_hash_breaks_the_next_link(
    chain: list[ChainedEvent], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 2), label="index")
    event = chain[index]
    chain[index] = link(event.previous, event.seq, {**event.body, "amount": Decimal("999999.99"), "forged": True})
    assert check(chain) == ChainProblem(
        index + 2, f"broken link: previous hash does not match event {index + 1}"
    )


@given(long_chains, st.data())
def test_a_deleted_event_is_found_at_its_seq(chain: list[ChainedEvent], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 2), label="deleted")
    del chain[index]
    assert check(chain) == ChainProblem(
        index + 1, f"missing or reordered: expected seq {index + 1}, found {index + 2}"
    )


@given(chains, bodies, st.data())
def test_an_inserted_event_is_found_even_with_a_correct_own_hash(
    chain: list[ChainedEvent], body: dict[str, Any], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(chain) - 1), label="inserted before")
    if data.draw(st.booleans(), label="well linked"):
        # The most careful forgery: the right seq, linked to the real event before.
        previous, seq = (chain[index - 1].hash if index else GENESIS), index + 1
    else:
        previous, seq = data.draw(hex_hashes, label="previous"), data.draw(st.integers(1, 12), label="seq")
    forged = link(previous, seq, {**body, "forged": True})
    chain.insert(index, forged)
    problem = check(chain)
    assert problem is not None and problem.seq == index + 1, problem
    assert problem.reason.startswith("inserted"), problem


@given(chains, bodies)
def test_an_event_appended_after_the_known_end_is_found_with_the_count_or_head(
    chain: list[ChainedEvent], body: dict[str, Any]
) -> None:
    n, head = len(chain), chain[-1].hash
    chain.append(link(head, n + 1, body))
    assert check(chain) is None  # a well-linked extra event is a valid chain...
    expected = ChainProblem(n + 1, f"unexpected: expected only {n} {'event' if n == 1 else 'events'}, found {n + 1}")
    assert check(chain, expected_count=n) == expected  # ...but not the expected one
    assert check(chain, expected_head=head) == ChainProblem(
        n + 1, f"unexpected: events after the expected head (seq {n})"
    )


@given(long_chains, st.data())
def test_two_swapped_events_are_found_at_the_first(chain: list[ChainedEvent], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(chain) - 2), label="first")
    j = data.draw(st.integers(i + 1, len(chain) - 1), label="second")
    chain[i], chain[j] = chain[j], chain[i]
    if j == i + 1:
        expected = f"reordered: events {i + 1} and {i + 2} are swapped"
    else:
        expected = f"missing or reordered: expected seq {i + 1}, found {j + 1}"
    assert check(chain) == ChainProblem(i + 1, expected)


@given(chains, st.data())
def test_a_duplicated_event_is_found(chain: list[ChainedEvent], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(chain) - 1), label="copied")
    at = data.draw(st.integers(index + 1, len(chain)), label="inserted at")
    chain.insert(at, chain[index])
    problem = check(chain)
    assert problem is not None and problem.seq == at + 1, problem
    assert problem.reason.startswith(("inserted", "duplicated")), problem


@given(chains, st.data())
def test_a_truncated_tail_is_found_only_with_the_count_or_head(chain: list[ChainedEvent], data: st.DataObject) -> None:
    n, head = len(chain), chain[-1].hash
    kept = data.draw(st.integers(0, n - 1), label="kept")
    rest = chain[:kept]
    assert check(rest) is None  # a chain alone cannot see it
    assert check(rest, expected_count=n) == ChainProblem(
        kept + 1, f"truncated: expected {n} {'event' if n == 1 else 'events'}, found {kept}"
    )
    problem = check(rest, expected_head=head)
    assert problem is not None and problem.seq == kept + 1
    assert problem.reason.startswith("truncated or rewritten")


EDITED = "edited: its hash does not match its content"


def _five() -> list[ChainedEvent]:
    return build([{"dossier": "AMI-2021-001", "n": n, "amount": Decimal(f"{n}000.00")} for n in range(1, 6)])


def _edit(chain: list[ChainedEvent]) -> list[ChainedEvent]:
    chain[2] = attrs.evolve(chain[2], body={**chain[2].body, "amount": Decimal("9000.00")})
    return chain


def _insert(chain: list[ChainedEvent]) -> list[ChainedEvent]:
    chain.insert(2, link(chain[1].hash, 3, {"dossier": "AMI-2021-001", "n": 99}))
    return chain


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (_edit, EDITED),
        (lambda c: c[:2] + [attrs.evolve(c[2], hash="f" * 64)] + c[3:], EDITED),
        (lambda c: c[:2] + c[3:], "missing or reordered: expected seq 3, found 4"),
        (_insert, "inserted: not part of the chain; the next event, also seq 3, links to event 2"),
        (lambda c: c[:2] + [c[3], c[2]] + c[4:], "reordered: events 3 and 4 are swapped"),
        (lambda c: c[:2] + [c[4], c[3], c[2]], "missing or reordered: expected seq 3, found 5"),
        (lambda c: c[:2] + [attrs.evolve(c[2], previous=c[0].hash)] + c[3:], EDITED),
        (
            lambda c: c[:2] + [link(c[0].hash, 3, c[2].body)] + c[3:],
            "broken link: previous hash does not match event 2",
        ),
    ],
)
def test_each_kind_of_tampering_in_plain_words(tamper: Any, reason: str) -> None:
    assert check(tamper(_five())) == ChainProblem(3, reason)


def test_a_tail_rewritten_with_recomputed_hashes_is_found_with_the_head() -> None:
    chain = build([{"dossier": "A", "source": "draft", "dest": "submitted"}] * 3)
    forged = chain[:2] + [link(chain[1].hash, 3, {"dossier": "A", "source": "draft", "dest": "paid"})]
    assert check(forged) is None
    assert check(forged, expected_count=3) is None
    assert check(forged, expected_head=chain[-1].hash) == ChainProblem(
        4, "truncated or rewritten: the last event (seq 3) does not have the expected head hash"
    )


def test_an_event_whose_content_cannot_be_hashed_is_reported_not_raised() -> None:
    chain = build([{"n": 1}, {"n": 2}])
    chain[1] = attrs.evolve(chain[1], body={**chain[1].body, "amount": 0.5})
    problem = check(chain)
    assert problem is not None and problem.seq == 2 and "cannot be hashed" in problem.reason
    not_a_hash: Any = None
    assert check([attrs.evolve(chain[0], previous=not_a_hash)]) == ChainProblem(
        1, "edited: its content cannot be hashed (previous: a hash must be a string, not a NoneType)"
    )


@pytest.mark.parametrize(
    ("events", "kwargs"),
    [([{"seq": 1}], {}), ([], {"expected_count": -1}), ([], {"expected_count": True}), ([], {"expected_head": 1})],
)
def test_verify_chain_refuses_bad_arguments(events: list[Any], kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        verify_chain(events, **kwargs)


# --- canonical JSON and the hash -----------------------------------------------

json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), amounts, instants, st.dates()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(v) for v in value]
    return value


@given(st.dictionaries(st.text(max_size=6), json_like, max_size=4))
def test_canonical_json_does_not_depend_on_key_order(value: dict[str, Any]) -> None:
    text = canonical_json(value)
    assert canonical_json(_reversed_keys(value)) == text
    assert chain_hash(GENESIS, value) == chain_hash(GENESIS, _reversed_keys(value))
    assert json.loads(text) == json.loads(canonical_json(json.loads(text)))
    assert canonical_json(json.loads(text)) == text  # already canonical: a fixed point


@given(scalars, st.floats(), st.lists(st.sampled_from(["list", "dict", "tuple"]), max_size=4))
def test_a_float_anywhere_is_refused(value: Any, number: float, wrappers: list[str]) -> None:
    target: Any = number
    for wrapper in wrappers:
        target = {"list": [value, target], "dict": {"a": value, "z": target}, "tuple": (target,)}[wrapper]
    with pytest.raises(InvalidInput, match="float"):
        canonical_json(target)


class Colour(enum.Enum):
    RED = "red"


@attrs.frozen
class Signature:
    signer_digest: str
    amount: Decimal
    codes: frozenset[str]
    when: date


def test_canonical_json_conversions() -> None:
    value = {
        "amount": Decimal("150000.00"),
        "rate": Decimal("7.5"),
        "at": datetime(2021, 4, 12, 9, 30, tzinfo=PARIS),
        "on": date(2021, 4, 12),
        "set": {3, 10, 1},
        "mixed": frozenset({"b", 2, None}),
        "tuple": (1, "x"),
        "state": State.SUBMITTED,
        "colour": Colour.RED,
        "signature": Signature("ab12", Decimal("1.50"), frozenset({"z", "a"}), date(2021, 5, 1)),
        "text": "Société à responsabilité limitée",
    }
    assert json.loads(canonical_json(value)) == {
        "amount": "150000.00",
        "rate": "7.5",
        "at": "2021-04-12T09:30:00+02:00",
        "on": "2021-04-12",
        "set": [1, 3, 10],
        "mixed": ["b", 2, None],  # mixed types: ordered by their JSON text
        "tuple": [1, "x"],
        "state": "submitted",
        "colour": "red",
        "signature": {"signer_digest": "ab12", "amount": "1.50", "codes": ["a", "z"], "when": "2021-05-01"},
        "text": "Société à responsabilité limitée",
    }
    assert "Société" in canonical_json(value)  # not \\u-escaped
    assert canonical_json(Decimal("150000.0")) != canonical_json(Decimal("150000.00"))  # exact text kept
    assert canonical_json(frozenset({"b", 2, None})) == canonical_json(frozenset({None, 2, "b"}))


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        object(),
        b"bytes",
        1j,
        {1: "int key"},
        {Colour.RED: 1, "red": 2},
        "\ud800",
    ],
)
def test_canonical_json_refuses_what_it_cannot_write_exactly(value: Any) -> None:
    with pytest.raises(InvalidInput):
        canonical_json(value)


def test_unsupported_types_are_named_and_cycles_refused() -> None:
    with pytest.raises(InvalidInput, match="bytes"):
        canonical_json({"file": b"%PDF"})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(InvalidInput, match="circular"):
        canonical_json({"loop": loop})
    shared = [1]
    assert canonical_json([shared, shared]) == "[[1],[1]]"  # shared is not circular


def test_the_hash_format_is_pinned() -> None:
    # Stored journals depend on these exact bytes: never change them.
    body = {"seq": 1, "dossier": "AMI-2021-001", "amount": Decimal("150000.00"), "note": "é"}
    text = '{"amount":"150000.00","dossier":"AMI-2021-001","note":"é","seq":1}'
    assert canonical_json(body) == text
    expected = hashlib.sha256((GENESIS + "\n" + text).encode("utf-8")).hexdigest()
    assert chain_hash(GENESIS, body) == expected == "41eff0b65c070b7357243c2a31ec5cef1e6097113cff2ca353f21618615a7f5b"
    assert GENESIS == "0" * 64


# --- replay -------------------------------------------------------------------

EDGES_FROM: dict[str, list[tuple[str, str]]] = {}
for _edge in CATALOGUE:
    EDGES_FROM.setdefault(_edge.source, []).append((_edge.trigger, _edge.dest))


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Legal moves of a few dossiers, interleaved, and each dossier's final state."""
    current: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 15))):
        dossier = draw(st.integers(1, 5).map(lambda n: f"AMI-2021-{n:03d}"))
        source = current.get(dossier, "draft")
        if source not in EDGES_FROM:
            continue  # a final state: nothing more happens to it
        trigger, dest = draw(st.sampled_from(EDGES_FROM[source]))
        events.append({"seq": len(events) + 1, "dossier": dossier, "trigger": trigger, "source": source, "dest": dest})
        current[dossier] = dest
    return events, current


@given(histories())
def test_replay_rebuilds_every_state(history: tuple[list[dict[str, Any]], dict[str, str]]) -> None:
    events, expected = history
    assert replay(events) == expected
    assert replay(e.body for e in build(events)) == expected


@given(histories(), st.data())
def test_replay_refuses_an_inconsistent_source(
    history: tuple[list[dict[str, Any]], dict[str, str]], data: st.DataObject
) -> None:
    events, _ = history
    assume(events)
    index = data.draw(st.integers(0, len(events) - 1), label="index")
    wrong = data.draw(states.filter(lambda s: s != events[index]["source"]), label="source")
    events[index] = {**events[index], "source": wrong}
    seq, dossier = events[index]["seq"], events[index]["dossier"]
    with pytest.raises(InvalidInput, match=f"seq {seq}: dossier '{dossier}'"):
        replay(events)


def test_replay_starts_from_the_initial_state_and_needs_the_fields() -> None:
    assert replay([]) == {}
    assert replay([{"dossier": "A", "source": "submitted", "dest": "complete"}], initial="submitted") == {
        "A": "complete"
    }
    with pytest.raises(InvalidInput, match="seq 1: dossier 'A'"):
        replay([{"dossier": "A", "source": "submitted", "dest": "complete"}])
    with pytest.raises(InvalidInput, match="seq 7: dossier 'A': missing or not text: dest"):
        replay([{"seq": 7, "dossier": "A", "source": "draft"}])


# --- personal data (RGPD) ----------------------------------------------------


def test_erasing_personal_data_leaves_the_chain_verifiable() -> None:
    people = {"p1": {"salt": "9c1f4e2a7b3d", "name": "Jeanne Martin"}}  # the separate table
    digest = personal_data_digest(people["p1"]["salt"], people["p1"]["name"])
    chain = build([{"dossier": "AMI-2021-001", "trigger": "approve", "source": "audited", "dest": "approved",
                    "signer": digest}])
    assert "Jeanne" not in canonical_json([e.body for e in chain])
    head = chain[-1].hash
    del people["p1"]  # right to erasure
    assert check(chain, expected_count=1, expected_head=head) is None
    assert digest == hashlib.sha256(b'9c1f4e2a7b3d\n"Jeanne Martin"').hexdigest()
    assert personal_data_digest("another salt", "Jeanne Martin") != digest
    with pytest.raises(InvalidInput, match="salt"):
        personal_data_digest("", "Jeanne Martin")


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_the_fast_path_of_canonical_json_writes_the_checked_paths_text(value: Any) -> None:
    """A value already made of JSON types skips the checked conversion; the text must be the same."""
    from ami_workflow.canonical import _is_plain, _plain

    assert _is_plain(value)
    try:
        expected = json.dumps(_plain(value, "value", set()), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False)
        expected.encode("utf-8")
    except (InvalidInput, UnicodeEncodeError):
        with pytest.raises(InvalidInput):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@pytest.mark.parametrize("value", [{"a": 0.5}, [1.0], {1: "x"}, ("t",), {"d": Decimal("1.50")}, [True, {"s": {1}}]])
def test_values_that_are_not_exact_json_types_take_the_checked_path(value: Any) -> None:
    from ami_workflow.canonical import _is_plain

    assert not _is_plain(value)


_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4),
    max_leaves=25,
)


@given(_ANY_JSON)
def test_jsontext_writes_the_standard_librarys_sorted_compact_text(value: Any) -> None:
    """orjson where it can, the standard library where it cannot: the text is always the standard library's."""
    from ami_workflow import jsontext

    try:
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except TypeError:  # keys of mixed types cannot be sorted
        with pytest.raises(TypeError):
            jsontext.dumps(value)
        return
    assert jsontext.dumps(value) == expected
    assert jsontext.loads(expected) == json.loads(expected)


@given(st.integers(min_value=-(2**80), max_value=2**80), st.sampled_from(["{}", "[{}]", '{{"a":{}}}', '"{}"',
                                                                         '["x{}"]', "[1.{}]", "[{}.5]"]))
def test_jsontext_reads_long_numbers_as_the_standard_library_does(number: int, template: str) -> None:
    """A number of 19 digits or more (or text that looks like one) is read as the standard library reads it."""
    from ami_workflow import jsontext

    text = template.format(abs(number) if template == "[1.{}]" else number)
    value = jsontext.loads(text)
    assert value == json.loads(text) and type(value) is type(json.loads(text))
    assert jsontext.loads(text.encode()) == json.loads(text)
