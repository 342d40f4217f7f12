"""An export file's bytes as lines of text: the one decoder of the import, the preview and the
ingest function (spec/data-format.md: UTF-8 with or without BOM).

Also read, because spreadsheets save them: UTF-16 with a BOM (Excel's "Unicode Text"), and a
file that is not UTF-8 but Windows-1252 (Excel's plain "CSV" on Windows), read as such with a
warning naming the file. Refused with the fix, before a row is read: a binary file (a
workbook, a zip, a PDF, an image), UTF-16 without a BOM. Pure: the bytes come in.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

#: How much of the start of a file is looked at to tell text from a binary file.
SNIFF_BYTES = 64 * 1024
SAVE_AS_CSV = "open it in the spreadsheet and save it as 'CSV UTF-8 (Comma delimited)'"
#: The start of files that are never CSV, and what they are.
_MAGIC = (
    (b"PK\x03\x04", "a zip file (an Excel .xlsx or Numbers workbook?), not CSV"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook, not CSV"),
    (b"%PDF", "a PDF, not CSV"),
    (b"\x1f\x8b", "a gzip file, not CSV: unzip it first"),
    (b"\x89PNG", "an image, not CSV"),
    (b"\xff\xd8\xff", "an image, not CSV"),
    (b"SQLite format 3", "a database, not CSV"),
)
#: Bytes of text files: tab, LF, CR, form feed and every printable byte.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


class FileRefused(ValueError):
    """The whole file cannot be read as an export file: the message says why and how to fix it
    (never a patient's data)."""


@dataclass
class TextNotes:
    """What the decoder found about the file as a whole (read by the summary)."""

    name: str
    encoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)


def _refusal(name: str, head: bytes) -> str | None:
    """Why the file whose first bytes are `head` is not text, or None."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"{name} is {what}: {SAVE_AS_CSV}"
    if not head:
        return None
    sample = head[:SNIFF_BYTES]
    nuls = sample.count(0)
    if nuls and nuls * 4 >= len(sample) and (sample[1::2].count(0) > nuls * 0.9
                                             or sample[0::2].count(0) > nuls * 0.9):  # fmt: skip
        return f"{name} looks like UTF-16 text without a byte-order mark: {SAVE_AS_CSV}"
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    if controls > max(8, len(sample) // 100):  # over 1% control bytes: not a text file
        return f"{name} is not a text file (a spreadsheet or other binary file?): {SAVE_AS_CSV}"
    return None


def _incomplete_tail(data: bytes) -> int:
    """How many bytes at the end of `data` begin a UTF-8 sequence the next chunk completes."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return 0
        if byte >= 0xC0:  # a lead byte: complete if its sequence fits in what follows it
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if needed > back else 0
    return 0


def decoded_text(chunks: Iterable[bytes], notes: TextNotes) -> Iterator[str]:
    """The file's text, chunk by chunk (FileRefused first if it is not a text file).

    UTF-8 (a BOM dropped) until a byte that is not UTF-8: if every byte before it was ASCII
    (which Windows-1252 reads the same), the file is Windows-1252 from the start, with a
    warning; after real UTF-8 text, such bytes become U+FFFD and their row is rejected."""
    iterator = iter(chunks)
    head = b""
    for chunk in iterator:  # enough of the start to sniff (chunks may be tiny)
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise FileRefused(f"{notes.name} is UTF-32 text: {SAVE_AS_CSV}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        notes.encoding = "utf-16"
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        yield decoder.decode(head)
        for chunk in iterator:
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)
        return
    refusal = _refusal(notes.name, head)
    if refusal is not None:
        raise FileRefused(refusal)
    if head.startswith(codecs.BOM_UTF8):
        notes.encoding = "utf-8-sig"
        head = head[len(codecs.BOM_UTF8) :]
    yield from _utf8_or_windows_1252(head, iterator, notes)


def _utf8_or_windows_1252(head: bytes, rest: Iterator[bytes], notes: TextNotes) -> Iterator[str]:
    ascii_so_far = notes.encoding == "utf-8"  # a UTF-8 BOM says what the file is
    carry = b""
    windows = False
    for chunk in _chain(head, rest):
        data = carry + chunk
        if windows:
            carry = b""
            yield data.decode("cp1252", errors="replace")
            continue
        cut = len(data) - _incomplete_tail(data)
        data, carry = data[:cut], data[cut:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            if ascii_so_far and data[: error.start].isascii():
                windows = True
                notes.encoding = "windows-1252"
                notes.warnings.append(
                    f"{notes.name} is not UTF-8: read as Windows-1252 (Excel's plain CSV); "
                    f"check accented names, or {SAVE_AS_CSV} and send it again"
                )
                yield (data + carry).decode("cp1252", errors="replace")
                carry = b""
                continue
            text = data.decode("utf-8", errors="replace")
        if ascii_so_far and not text.isascii():
            ascii_so_far = False
        yield text
    if carry:
        yield carry.decode("cp1252" if windows else "utf-8", errors="replace")


def _chain(head: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from rest


def split_lines(texts: Iterable[str], max_line: int | None) -> Iterator[str]:
    """Text as lines ending in "\\n", as a file opened with newline="" gives them to the CSV
    reader (which joins a quoted field's lines); CRLF and a lone CR end a line as "\\n" does.
    A line longer than `max_line` is cut (to a little more than that, whatever its length:
    the reader rejects it); None for our own files."""
    pending = ""
    for text in texts:
        pending += text
        # a CR at the end may be half of a CRLF that the next chunk completes
        held = "\r" if pending.endswith("\r") else ""
        *complete, pending = _universal(pending.removesuffix(held)).split("\n")
        if max_line is not None and len(pending) > max_line:  # never a row: kept only to
            pending = pending[: max_line + 1]  # be rejected (rescanned per chunk: quadratic)
        pending += held
        for line in complete:
            yield line + "\n"
    *complete, pending = _universal(pending).split("\n")
    for line in complete:
        yield line + "\n"
    if pending:
        yield pending


def _universal(text: str) -> str:
    """Line ends as "\\n": CRLF (the format's) and a lone CR (old Mac exports) alike."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def export_lines(chunks: Iterable[bytes], notes: TextNotes, max_line: int) -> Iterator[str]:
    """An export file's lines (see the module): what the CSV reader reads."""
    return split_lines(decoded_text(chunks, notes), max_line)
