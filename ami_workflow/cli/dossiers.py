"""The dossiers: create, import, attach pieces and originals, fire triggers, pay, show and list."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InvalidInput
from ..i18n import N_, _, format_decimal, format_money, ngettext
from ..states import TRIGGERS, state_label, state_words, trigger_label

if TYPE_CHECKING:
    from ..budget import Budget
    from ..dossier import Dossier

from .app import _actor_option, _day, _emit, _fail, _instant, _login, _money, _pair, _progress, _State, _table, main

# -- dossiers --------------------------------------------------------------------


@main.group()
def dossier() -> None:
    """Create, complete, move and read dossiers."""


def _read_data_file(path: str) -> dict[str, Any]:
    from ..datafile import load_json, load_toml

    text = Path(path).read_text(encoding="utf-8")
    data = load_toml(text, path) if path.endswith(".toml") else load_json(text, path)
    if not isinstance(data, dict):
        raise InvalidInput(_("{path}: expected a table with [applicant] and [application]").format(path=path))
    return data


@dossier.command("new")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False),
              help="A TOML or JSON file with [applicant] and [application] tables.")
@click.option("--name", help="The applicant's name.")
@click.option("--kind", default="association", show_default=True, help="The applicant's kind (a key of the call).")
@click.option("--siren")
@click.option("--siret")
@click.option("--rna")
@click.option("--iban")
@click.option("--legal-representative", help="The legal representative (personal data).")
@click.option("--representative", hidden=True)  # the former name of --legal-representative
@click.option("--title", help="The action's title.")
@click.option("--axis")
@click.option("--qpv", multiple=True, help="A target QPV code (repeat for several).")
@click.option("--start", help="The action's first day (YYYY-MM-DD).")
@click.option("--end", help="The action's last day (YYYY-MM-DD).")
@click.option("--total-cost")
@click.option("--requested")
@click.option("--participants", type=int)
@click.option("--qpv-residents", type=int)
@click.option("--young", type=int)
@click.option("--women", type=int)
@click.option("--sourcing")
@click.option("--charge", "charges", multiple=True, metavar="LINE=EUROS",
              help="A charge line of the forecast budget (CERFA n° 12156), e.g. 64=8000 (repeat for each line).")
@click.option("--product", "products", multiple=True, metavar="LINE=EUROS",
              help="A product line of the forecast budget, e.g. 74.epci=5000 (repeat for each line).")
@click.option("--reference", help="A reference of your own (default: <campaign>-NNNN).")
@_actor_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def dossier_new(state: _State, /, source: str | None, reference: str | None, actor: str,
                as_json: bool, **options: Any) -> None:
    """Create a draft dossier from a file or from options."""
    from ..codec import converter, structure_record
    from ..dossier import Applicant, Application

    if source:
        data = _read_data_file(source)
        applicant_data, application_data = data.get("applicant"), data.get("application", {})
    else:
        if not options["name"]:
            _fail(_("give --from FILE, or at least --name"))
        applicant_data = {k: options[k] for k in ("name", "kind", "siren", "siret", "rna", "iban")}
        applicant_data["legal_representative"] = options["legal_representative"] or options["representative"]
        application_data = {k: options[k] for k in ("title", "axis", "total_cost", "requested", "participants",
                                                     "qpv_residents", "young", "women", "sourcing")}
        application_data["qpv_codes"] = list(options["qpv"])
        if options["start"] or options["end"]:
            application_data["period"] = {"start": options["start"], "end": options["end"]}
    if options["charges"] or options["products"]:
        if source:
            _fail(_("give the forecast budget in the file's [application.budget], or as --charge and --product"))
        application_data["budget"] = {
            "charges": dict(_pair(item, "--charge") for item in options["charges"]),
            "products": dict(_pair(item, "--product") for item in options["products"]),
        }
    applicant = structure_record({k: v for k, v in (applicant_data or {}).items()}, Applicant, "applicant")
    application = structure_record(
        {k: v for k, v in application_data.items() if v is not None}, Application, "application"
    )
    with state.flow() as flow:
        created = flow.create_dossier(applicant, application, reference=reference, actor=actor)
    _emit(converter.unstructure(created), as_json,
          lambda: [_("{reference}: created as draft").format(reference=created.reference)])


@dossier.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "file_format", type=click.Choice(["csv", "json"]), default=None,
              help="The file's format (default: csv for a name ending in .csv, else json).")
@_actor_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def dossier_import(state: _State, source: str, file_format: str | None, actor: str, as_json: bool) -> None:
    """Create drafts from a CSV file (French spreadsheet format) or a JSON list of {"applicant": …, "application": …}.

    The reference (a CSV's reference column, a JSON entry's "reference") is the external id: a dossier already
    imported under it is counted, not created again, so that the same import can run twice. One transaction:
    every line is checked first, a bad one is named with its column, and nothing is created.
    """
    from ..dossier_import import import_dossiers, read_file

    with state.flow() as flow:
        entries = read_file(source, flow.campaign, file_format)
        label = ngettext("Importing {count} dossier", "Importing {count} dossiers", len(entries)).format(
            count=len(entries))
        is_csv = (file_format or ("csv" if source.lower().endswith(".csv") else "json")) == "csv"
        with flow.batch(), _progress(entries, label) as bar:
            ticks = iter(bar)
            result = import_dossiers(flow, entries, actor=actor, what="line" if is_csv else "entry",
                                     progress=lambda _: next(ticks, None))

    def lines() -> list[str]:
        created, already = len(result.created), len(result.already_imported)
        said = _("{created}, {already}").format(
            created=ngettext("{count} dossier created", "{count} dossiers created", created).format(count=created),
            already=ngettext("{count} already imported", "{count} already imported", already).format(count=already))
        return [said] + ([", ".join(result.created)] if result.created else [])

    _emit({"created": list(result.created), "already_imported": list(result.already_imported)}, as_json, lines)


@dossier.command("attach")
@click.argument("reference")
@click.argument("piece")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--media-type", help="e.g. application/pdf")
@click.option("--postmark", help="The postmark's day, for a piece sent by post (default: received today).")
@click.option("--expected-version", type=int)
@_actor_option
@click.pass_obj
def dossier_attach(state: _State, reference: str, piece: str, file: str, media_type: str | None,
                   postmark: str | None, expected_version: int | None, actor: str) -> None:
    """Attach the file FILE as the piece PIECE (a key of the call, e.g. statuts) of a dossier."""
    with state.flow() as flow:
        d = flow.attach(reference, piece, Path(file), media_type=media_type,
                        postmark=_day(postmark) if postmark else None, expected_version=expected_version,
                        actor=actor)
        label = flow.campaign.piece(piece)
    stored = d.piece(piece)
    size = (stored.size or 0) if stored else 0
    click.echo(ngettext("{reference}: {label} (key `{key}`) received ({size} byte, sha256 {sha256})",
                        "{reference}: {label} (key `{key}`) received ({size} bytes, sha256 {sha256})", size).format(
        reference=reference, label=label.label if label else piece, key=piece, size=format_decimal(size),
        sha256=stored.sha256 if stored else ""))


@dossier.command("original")
@click.argument("reference")
@click.argument("piece")
@click.option("--postmark", help="The postmark's day, for an original sent by post (default: received today).")
@click.option("--signed/--unsigned", default=True, show_default=True)
@click.option("--signed-by", help="Who signed it (personal data).")
@click.option("--role", help="The signer's role, e.g. représentant légal.")
@_actor_option
@click.pass_obj
def dossier_original(state: _State, reference: str, piece: str, signed: bool,
                     signed_by: str | None, role: str | None, postmark: str | None, actor: str) -> None:
    """Record the paper original of PIECE: whether it is signed, and by whom; dated when received (or --postmark)."""
    from ..calendar import SystemClock
    from ..pieces import PaperOriginal

    # The library dates the original by its receipt (or postmark): the day given here is a placeholder.
    original = PaperOriginal(piece, SystemClock().now().date(), signed, signed_by, role)
    with state.flow() as flow:
        flow.receive_original(reference, original, postmark=_day(postmark) if postmark else None, actor=actor)
        found = flow.campaign.piece(piece)
    message = (_("{reference}: paper original of {label} (key `{piece}`) recorded (signed)") if signed
               else _("{reference}: paper original of {label} (key `{piece}`) recorded (not signed)"))
    click.echo(message.format(reference=reference, piece=piece, label=found.label if found else piece))


def _trigger_data(data: Sequence[str], criteria: str | None, amount: str | None, session: str | None,
                  motivation: str | None, reason: str | None, issue: Sequence[str], payment_ref: str | None,
                  proposed: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in data:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(_("--data takes KEY=VALUE, not {item!r}").format(item=item))
        out[key.strip()] = value
    if criteria is not None:
        out["criteria"] = [c.strip() for c in criteria.split(",") if c.strip()]
    named: tuple[tuple[str, str | None], ...] = (
        ("amount", amount), ("session", session), ("motivation", motivation),
        ("reason", reason), ("reference", payment_ref), ("proposed", proposed),
    )
    for name, text in named:
        if text is not None:
            out[name] = text
    if issue:
        issues = []
        for item in issue:
            key, _sep, rest = item.partition(":")
            why, _sep, note = rest.partition(":")
            issues.append({"key": key, "reason": why or "missing", "note": note})
        out["issues"] = issues
    return out


_FIRE_OPTIONS = {
    "at": click.option("--at", help="When the act took effect, if before now (ISO date or time, Paris time); "
                                    "not for submit."),
    "postmark": click.option("--postmark", help="submit: the postmark's day of a dossier sent by post."),
    "actor": click.option("--actor", default=_login, help="Who does it (default: the login name)."),
    "expected_version": click.option("--expected-version", type=int,
                                     help="Refuse if the dossier changed since this version."),
    "criteria": click.option("--criteria", help="instruct: the confirmed bonus criteria, comma-separated."),
    "proposed": click.option("--proposed", help="instruct: the proposed amount."),
    "amount": click.option("--amount", help="approve, pay: the amount."),
    "session": click.option("--session", help="hear: the committee session id."),
    "motivation": click.option("--motivation", help="reject: the written motivation."),
    "reason": click.option("--reason", help="withdraw: the reason."),
    "issue": click.option("--issue", multiple=True,
                          help="return_for_pieces: PIECE:missing|incorrect|outdated[:NOTE]."),
    "payment_ref": click.option("--payment-ref", help="pay: the payment's reference."),
    "data": click.option("--data", multiple=True, help="Any trigger datum as KEY=VALUE."),
}
#: The options of a trigger's data (triggers.required_data's names), for a person told what to give.
_DATA_OPTIONS = {"issues": "--issue PIECE:missing|incorrect|outdated[:NOTE]", "session": "--session SESSION"}


def _fire_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options of ``dossier fire`` named (all of them by default), in their order."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed([n for n in _FIRE_OPTIONS if n in names or not names]):
            func = _FIRE_OPTIONS[name](func)
        return func
    return decorate


def _fire(state: _State, reference: str, trigger: str, at: str | None, actor: str, expected_version: int | None,
          postmark: str | None = None, **data: Any) -> Dossier:
    payload = _trigger_data(data.pop("data", ()), data.pop("criteria", None), data.pop("amount", None),
                            data.pop("session", None), data.pop("motivation", None), data.pop("reason", None),
                            data.pop("issue", ()), data.pop("payment_ref", None), data.pop("proposed", None))
    with state.flow() as flow:
        return flow.fire(reference, trigger, at=_instant(at), postmark=_day(postmark) if postmark else None,
                         actor=actor, expected_version=expected_version, keep_refusal=True, **payload)


#: What a person reads for each kind of event that is not a trigger (the triggers have states.trigger_label).
_EVENT_WORDS = {
    "dossier_created": N_("dossier created"),
    "application_updated": N_("application updated"),
    "piece_attached": N_("piece received"),
    "original_received": N_("paper original received"),
    "pieces_reused": N_("pieces reused"),
    "document_issued": N_("document issued"),
    "dossier_imported": N_("dossier imported"),
    "personal_data_erased": N_("personal data erased"),
    "grant_reduced": N_("grant reduced by the council"),
    "board_recorded": N_("board lists recorded"),
}


def _event_words(kind: str, trigger: str) -> str:
    """An event of a dossier's history in words, the trigger's key beside its label: « déposer (`submit`) »."""
    if kind == "triggered":
        label = trigger_label(trigger)
        return label if label == trigger else _("{label} (`{key}`)").format(label=label, key=trigger)
    words = _EVENT_WORDS.get(kind)
    return _(words) if words is not None else kind


def _history_words(kind: str, trigger: str, payload: Mapping[str, Any]) -> str:
    """A line of a dossier's history in words, naming the piece of a piece's event: « pièce reçue : statuts »."""
    what = _event_words(kind, trigger)
    record = payload.get("piece") or payload.get("original")
    piece = record.get("key") if isinstance(record, Mapping) else None
    return _("{event}: {piece}").format(event=what, piece=piece) if piece else what


#: The triggers whose act is attested by a document sent to the applicant (ami_workflow.issued.DOCUMENT_KINDS).
_DOCUMENTED = frozenset({"submit", "return_for_pieces", "approve", "reject"})


@dossier.command("fire")
@click.argument("reference")
@click.argument("trigger", type=click.Choice(TRIGGERS))
@_fire_options()
@click.option("--no-document", is_flag=True,
              help="Do not issue the document the act calls for (accusé de réception, demande de pièces, notice).")
@click.pass_obj
def dossier_fire(state: _State, /, reference: str, trigger: str, no_document: bool, **options: Any) -> None:
    """Fire TRIGGER on a dossier (submit, mark_complete, instruct, hear, approve, pay …).

    A submission, a return for pieces, an approval or a rejection then issues the document it calls for (stored
    as issued: ami-workflow document print).
    """
    d = _fire(state, reference, trigger, **options)
    click.echo(_("{reference}: {trigger} -> {state} (version {version})").format(
        reference=reference, trigger=trigger, state=d.state, version=d.version))
    if trigger in _DOCUMENTED and not no_document:
        from .. import notices

        with state.flow() as flow:
            before = {(doc.kind, doc.attests) for doc in flow.documents(reference)}
            for doc in notices.issue_all(flow, reference, actor=options["actor"]):
                if (doc.kind, doc.attests) not in before:
                    click.echo(_("{kind} issued (event {seq}): ami-workflow document print {reference} --kind {kind} "
                                 "-o FILE").format(kind=doc.kind, seq=doc.seq, reference=reference))


@main.command()
@click.argument("reference")
@_fire_options("amount", "payment_ref", "at", "actor", "expected_version")
@click.pass_obj
def pay(state: _State, /, reference: str, **options: Any) -> None:
    """Pay a granted dossier: one instalment (--amount) or the balance."""
    d = _fire(state, reference, "pay", **options)
    click.echo(_("{reference}: paid {amount}; {paid} of {approved} -> {state}").format(
        reference=reference, amount=format_money(d.payments[-1].amount), paid=format_money(d.paid),
        approved=format_money(d.approved or d.paid), state=d.state))


@dossier.command("show")
@click.argument("reference")
@click.option("--at", help="Check the possible triggers at this time (default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--personal", is_flag=True, help="--json: include the IBAN and the representatives' names.")
@click.pass_obj
def dossier_show(state: _State, reference: str, at: str | None, as_json: bool, personal: bool) -> None:
    """The dossier: state, history, missing pieces, current ceiling, and what can happen next (and why not)."""
    from ..codec import converter
    from ..personal import without_contacts
    from ..pieces import missing_pieces
    from ..triggers import required_data

    with state.flow() as flow:
        d = flow.get(reference)
        c = flow.get_campaign(d.campaign_id)
        history = flow.history(reference)
        missing = missing_pieces(c.pieces, d.applicant.kind, d.pieces, d.originals)
        limit = flow.ceiling(reference)
        possible = flow.possible_triggers(reference, at=_instant(at))
    data = {
        "dossier": converter.unstructure(d),
        "history": [{"at": e.at.isoformat(), "trigger": e.trigger, "from": e.source, "to": e.dest, "actor": e.actor,
                     "payload": dict(e.payload)} for e in history],
        "missing_pieces": missing,
        "ceiling": str(limit),
        "next": possible,
    }
    if not personal:  # an IBAN and people's names only when asked for (applicant export gives everything)
        data = without_contacts(data)

    def lines() -> Iterator[str]:
        app = d.application
        yield _("{reference}  [{state}]  version {version}").format(reference=d.reference, state=state_words(d.state),
                                                                    version=d.version)
        yield "  " + _("applicant: {name} ({kind}) {identity}").format(
            name=d.applicant.name, kind=d.applicant.kind, identity=d.applicant.identity)
        yield "  " + _("action: {title} — axis {axis}, QPV {qpv}").format(
            title=app.title, axis=app.axis, qpv=" ".join(app.qpv_codes))
        yield "  " + _("cost {cost}, requested {requested}, ceiling now {ceiling}").format(
            cost=_money(app.total_cost) or "?", requested=_money(app.requested) or "?", ceiling=format_money(limit))
        if app.budget is not None:
            yield from _budget_lines(app.budget)
        if d.approved is not None:
            yield "  " + _("approved {approved}, paid {paid}").format(approved=format_money(d.approved),
                                                                     paid=format_money(d.paid))
        yield "  " + (_("missing pieces:") if missing else _("missing pieces: none"))
        for item in missing:
            yield f"    - {item}"
        yield "  " + _("history:")
        words = [_history_words(e.kind.value, e.trigger, e.payload) for e in history]
        width = max([34, *map(len, words)])
        for e, what in zip(history, words, strict=True):
            move = f"{state_label(e.source)} -> {state_label(e.dest)}" if e.source and e.dest else ""
            yield f"    {e.at:%Y-%m-%d %H:%M}  {what:<{width}} {move:<26} {e.actor}"
        yield "  " + (_("next:") if possible else _("next: nothing, {state} is final").format(
            state=state_words(d.state)))
        for trigger, reasons in possible.items():
            verdict = _("{trigger}: refused") if reasons else _("{trigger}: possible now")
            yield "    " + verdict.format(trigger=trigger)
            for r in reasons:
                yield f"      - {r}"
            needed = [_DATA_OPTIONS.get(name, f"--data {name}=VALUE") for name in required_data(trigger)]
            if needed:
                yield "      " + _("give: ami-workflow dossier fire {reference} {trigger} {options}").format(
                    reference=d.reference, trigger=trigger, options=" ".join(needed))

    _emit(data, as_json, lines)


def _budget_lines(budget: Budget) -> Iterator[str]:
    """The forecast budget by line of the CERFA n° 12156 form, each side with its total, in kind apart."""
    from ..budget import IN_KIND_CHARGES, IN_KIND_PRODUCTS, line_label

    sides = ((_("charges"), budget.charges, IN_KIND_CHARGES, _("total charges"), budget.total),
             (_("products"), budget.products, IN_KIND_PRODUCTS, _("total products"), budget.total_products))
    rows = [(f"      {line_label(key)}", format_money(amount)) for _side, lines, _kind, _total, _sum in sides
            for key, amount in lines.items()]
    width = max(len(label) for label, _amount in [*rows, ("      " + _("total products"), "")])
    yield "  " + _("forecast budget (CERFA n° 12156):")
    for side, lines, in_kind, total_words, total in sides:
        yield "    " + side + ":"
        for key, amount in lines.items():
            if key != in_kind:
                yield f"      {line_label(key):<{width - 6}}  {format_money(amount):>15}"
        yield f"      {total_words:<{width - 6}}  {format_money(total):>15}"
        if in_kind in lines:
            yield f"      {line_label(in_kind):<{width - 6}}  {format_money(lines[in_kind]):>15}"
    for problem in budget.problems():
        yield "    ! " + problem


@dossier.command("list")
@click.option("--state")
@click.option("--axis")
@click.option("--qpv")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--personal", is_flag=True, help="--json: include the IBANs and the representatives' names.")
@click.pass_obj
def dossier_list(state: _State, /, as_json: bool, personal: bool, **filters: str | None) -> None:
    """List the campaign's dossiers, filtered by state, axis and QPV."""
    from ..codec import converter
    from ..personal import without_contacts

    with state.flow() as flow:
        found = flow.dossiers(campaign_id=flow.campaign.id, state=filters["state"], axis=filters["axis"],
                              qpv=filters["qpv"])
    rows = [(d.reference, state_label(d.state), d.application.axis, " ".join(d.application.qpv_codes),
             _money(d.application.requested), _money(d.approved), d.applicant.name) for d in found]
    headers = (_("reference"), _("state"), _("axis"), _("qpv"), _("requested"), _("granted"), _("applicant"))
    listed = [converter.unstructure(d) for d in found]
    _emit(listed if personal else without_contacts(listed), as_json, lambda: _table(rows, headers) + [
        ngettext("{count} dossier", "{count} dossiers", len(rows)).format(count=len(rows))])
