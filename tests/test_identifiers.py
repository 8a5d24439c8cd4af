"""One RNA definition, used by dossier creation and by the SCDL export."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_exports import approve, configured_campaign, create, deliberate, good_row, valid_siret
from walk import BACKENDS, applicant, new_flow

from ami_workflow import InvalidInput, Refused
from ami_workflow.exports import check_scdl_row, scdl_rows
from ami_workflow.identifiers import check_rna, compact_rna, is_rna, is_scdl_rna
from ami_workflow.identity import check_applicant

LETTERS_RNA = "W9M1000123"  # an older prefecture's number: letters after the W


@pytest.mark.parametrize("value", ["W621000123", LETTERS_RNA, "WABCDEFGHI", "w621000123", " W 621 000 123 "])
def test_an_rna_number_is_w_and_9_digits_or_capitals(value: str) -> None:
    assert is_rna(value)
    assert check_rna(value) == compact_rna(value)


@pytest.mark.parametrize(
    "value", ["", "W", "W62100012", "W6210001234", "621000123", "X621000123", "W62100012-", "W62100012٣", "W62100012é"]
)
def test_not_an_rna_number(value: str) -> None:
    assert not is_rna(value)
    with pytest.raises(InvalidInput, match="not an RNA number"):
        check_rna(value)


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=9, max_size=9))
def test_every_scdl_rna_is_an_rna_and_scdl_means_digits(tail: str) -> None:
    number = "W" + tail
    assert is_rna(number)
    assert is_scdl_rna(number) == tail.isdigit()


def test_dossier_creation_and_the_scdl_check_use_the_same_definition() -> None:
    assert check_applicant(applicant(1, siren=None, rna="w9m1 000 123")).rna == LETTERS_RNA
    with pytest.raises(InvalidInput, match="rna: 'W62A00012' is not an RNA number"):
        check_applicant(applicant(1, siren=None, rna="W62A00012"))
    problems = check_scdl_row({**_row(), "rnaBeneficiaire": LETTERS_RNA})
    assert problems == [
        f"rnaBeneficiaire: {LETTERS_RNA!r} is an RNA number, but the SCDL schema only takes W followed by 9 digits, "
        "compact: record the beneficiary's SIRET (idBeneficiaire) instead"
    ]
    assert check_scdl_row({**_row(), "rnaBeneficiaire": "W62A00012"}) == [
        "rnaBeneficiaire: 'W62A00012' is not an RNA number (W followed by 9 digits)"
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_rna_with_letters_is_left_out_of_scdl_when_the_siret_identifies_the_beneficiary(backend: str) -> None:
    flow = new_flow(backend, configured_campaign())
    with_siret = create(flow, 1, who={"rna": LETTERS_RNA})
    approve(flow, with_siret)
    deliberate(flow, [with_siret])
    [row] = scdl_rows(flow)
    assert (row["idBeneficiaire"], row["rnaBeneficiaire"]) == (valid_siret(applicant(1).siren or ""), "")
    assert flow.get(with_siret).applicant.rna == LETTERS_RNA  # the dossier keeps it


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_rna_with_letters_and_no_siret_refuses_the_scdl_export(backend: str) -> None:
    flow = new_flow(backend, configured_campaign())
    rna_only = create(flow, 1, who={"siren": None, "rna": LETTERS_RNA})
    approve(flow, rna_only)
    deliberate(flow, [rna_only])
    with pytest.raises(Refused) as refused:
        scdl_rows(flow)
    [reason] = refused.value.reasons
    assert "is an RNA number, but the SCDL schema only takes W followed by 9 digits" in reason


def _row() -> dict[str, str]:
    """A good SCDL row that identifies the beneficiary by its RNA number only."""
    return {**good_row(), "idBeneficiaire": ""}
