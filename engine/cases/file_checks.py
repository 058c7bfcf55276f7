"""What a document upload must pass before it is stored: its name, its size, and its content's real type.

The type is read from the bytes (libmagic, through python-magic), never from the name: a program
renamed ``report.pdf`` is a program. The name's extension must then agree with the content, so a file
is never offered back under a type it is not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import magic

from engine.errors import InvalidFormData

NAME_MAX = 200
# kind -> (content types libmagic reports, extensions the name may have, words for people)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "pdf": (("application/pdf",), (".pdf",), "a PDF"),
    "docx": (("application/vnd.openxmlformats-officedocument.wordprocessingml.document",), (".docx",),
             "a Word document"),
    "xlsx": (("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",), (".xlsx",),
             "an Excel spreadsheet"),
    "odt": (("application/vnd.oasis.opendocument.text",), (".odt",), "an OpenDocument text"),
    "txt": (("text/plain",), (".txt",), "a plain text file"),
    "png": (("image/png",), (".png",), "a PNG image"),
    "jpeg": (("image/jpeg",), (".jpg", ".jpeg"), "a JPEG photo"),
}
PROGRAMS = ("application/x-dosexec", "application/x-executable", "application/x-sharedlib", "application/x-mach-o",
            "application/x-pie-executable", "text/x-shellscript", "application/x-msdownload", "text/x-msdos-batch")
# Program signatures refused even where libmagic cannot name the rest of the file (a truncated header):
# DOS/Windows "MZ", ELF, Mach-O (both byte orders, 32 and 64 bit), and a script's "#!".
PROGRAM_SIGNATURES = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                      b"\xcf\xfa\xed\xfe", b"#!")
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|^\.|\.\.")


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed: its clean name, its real content type and its size."""

    file_name: str
    content_type: str
    size: int


def refuse(reason: str) -> InvalidFormData:
    """The error for a refused upload: 422 with the reason, on the ``file`` field."""
    return InvalidFormData({"file": [reason]}, reason)


def check_file(file_name: str, data: bytes, *, max_bytes: int, kinds: tuple[str, ...]) -> CheckedFile:
    """The checked file, or InvalidFormData with the reason (never stored, nothing changed)."""
    name = unicodedata.normalize("NFC", (file_name or "").strip())
    if not name:
        raise refuse("Choose a file to upload")
    if UNSAFE_NAME.search(name) or len(name) > NAME_MAX:
        raise refuse(f"The file name must be a plain name of up to {NAME_MAX} characters, without folders "
                     "(rename the file and try again)")
    if not data:
        raise refuse("The file is empty")
    if len(data) > max_bytes:
        raise refuse(f"The file is {_size(len(data))}; the largest accepted is {_size(max_bytes)}")
    found = magic.from_buffer(data[:65536] if len(data) > 65536 else data, mime=True)
    if found in PROGRAMS or data.startswith(PROGRAM_SIGNATURES):
        raise refuse("The file is a program, which cannot be attached to a case, whatever its name says")
    kind = next((k for k in kinds if k in KINDS and found in KINDS[k][0]), None)
    if kind is None:
        allowed = ", ".join(KINDS[k][2] for k in kinds if k in KINDS)
        raise refuse(f"This kind of file cannot be attached. Attach {allowed}")
    extensions, words = KINDS[kind][1], KINDS[kind][2]
    if not name.lower().endswith(extensions):
        raise refuse(f"The file's content is {words} but its name says otherwise: name it with "
                     f"{' or '.join(extensions)}")
    return CheckedFile(name, KINDS[kind][0][0], len(data))


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def kinds_accepting(extensions: tuple[str, ...]) -> tuple[str, ...] | None:
    """The kinds of file whose names may end with one of ``extensions`` (a form's ``accept``); None: any kind."""
    if not extensions:
        return None
    return tuple(k for k, (_types, names, _words) in KINDS.items() if set(names) & set(extensions))
