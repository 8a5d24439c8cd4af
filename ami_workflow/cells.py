"""Text cells that a spreadsheet cannot read as a formula (CSV injection, OWASP).

A spreadsheet that opens a CSV reads a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula, and a tab or a
carriage return before one of them as nothing at all: a dossier's title such as ``=HYPERLINK(...)`` would run in
the funder's spreadsheet. Following OWASP's advice on CSV injection, :func:`text_cell` puts an apostrophe before
such a text, which spreadsheets show as the text itself; :func:`plain_text` takes it off again (the CSV import).

Only text cells go through it: numbers, amounts and dates are written as they are by each writer, which knows
its columns' types (a negative amount is a number, not a formula).

    >>> text_cell("=1+1"), text_cell("-5 % de remise"), text_cell("Association Les Amis")
    ("'=1+1", "'-5 % de remise", 'Association Les Amis')
    >>> plain_text(text_cell("@SUM(A1)"))
    '@SUM(A1)'
"""

from __future__ import annotations

__all__ = ["DANGEROUS_STARTS", "is_dangerous", "plain_text", "text_cell"]

#: The first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    return text.startswith(DANGEROUS_STARTS)


def text_cell(text: str) -> str:
    """``text`` as a text cell: with an apostrophe before it when it starts like a formula, else unchanged.

    Applying it twice changes nothing more (a neutralised text starts with the apostrophe).
    """
    return "'" + text if is_dangerous(text) else text


def plain_text(cell: str) -> str:
    """The text of a cell that :func:`text_cell` wrote: the apostrophe taken off again, only where it put one."""
    return cell[1:] if cell.startswith("'") and is_dangerous(cell[1:]) else cell
