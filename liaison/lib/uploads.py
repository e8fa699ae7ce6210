"""Checking files by their content, not their name: what may be attached to a case, under what name, and how
it is sent back.

One allow-list serves every way a file arrives (an officer's upload, the public form, an inbound email):
a file is accepted only when its content is recognised as one of the types below, and an Office document or
PDF that can run code (macros, ActiveX, JavaScript) is refused with a reason a person understands. The name
a file came with is only a hint: its extension is made to match what the file really is.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

import puremagic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from liaison.lib.errors import ApplicationError

MAX_UPLOAD_BYTES = getattr(settings, "LIAISON_MAX_UPLOAD_MB", 20) * 1024 * 1024

ALLOWED_DESCRIPTION = "PDF, Word, Excel or PowerPoint without macros, JPEG, PNG, GIF, WebP, HEIC or plain text"


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]  # the first is given to a name that has none of them
    label: str
    # Browsers show these themselves and they cannot run code; anything else is sent as plain bytes.
    served_as_is: bool = False


PDF = FileType("application/pdf", (".pdf",), "a PDF document", served_as_is=True)
PNG = FileType("image/png", (".png",), "a PNG image", served_as_is=True)
JPEG = FileType("image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"), "a JPEG photo", served_as_is=True)
GIF = FileType("image/gif", (".gif",), "a GIF image", served_as_is=True)
WEBP = FileType("image/webp", (".webp",), "a WebP image", served_as_is=True)
HEIC = FileType("image/heic", (".heic", ".heif"), "a HEIC photo")
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), "a Word document"
)
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), "an Excel workbook")
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
    "a PowerPoint presentation",
)
TEXT = FileType("text/plain", (".txt", ".text", ".csv", ".log"), "a plain text file", served_as_is=True)

ALLOWED: dict[str, FileType] = {t.content_type: t for t in (PDF, PNG, JPEG, GIF, WEBP, HEIC, DOCX, XLSX, PPTX, TEXT)}


def _refuse(what: str) -> ApplicationError:
    return ApplicationError(f"This kind of file cannot be attached: it is {what}. Use {ALLOWED_DESCRIPTION}.")


# -- Recognising the content ------------------------------------------------------------------------------

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}

_RTF = "a Rich Text (RTF) document, which can carry embedded objects; save it as PDF or .docx"
_OLD_OFFICE = (
    "an older Office file (.doc, .xls, .ppt) or an Outlook message (.msg), which can carry macros or hidden "
    "files; save it as .docx or PDF"
)
# What puremagic's findings mean for a file we refuse, in words (matched on its extension or MIME type).
_KNOWN_REFUSALS: list[tuple[tuple[str, ...], str]] = [
    ((".exe", ".dll", ".sys", ".scr", ".com", "portable-executable", "msdownload"), "a Windows program"),
    ((".msi", ".msix", ".appx"), "a Windows installer"),
    ((".elf", ".so", "x-executable", "x-mach", ".dylib", ".macho"), "a program"),
    ((".jar", ".class", "java-archive"), "a Java program"),
    ((".apk", ".dex"), "an Android app"),
    ((".lnk",), "a Windows shortcut, which can start a program"),
    ((".iso", ".img", ".vhd", ".vhdx", ".dmg"), "a disk image, which can hold any kind of file"),
    ((".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".tar", ".zst", "compressed", "x-tar"), "an archive"),
    ((".doc", ".xls", ".ppt", ".msg", "msword", "ms-excel", "ms-powerpoint", "vnd.ms-outlook"), _OLD_OFFICE),
    ((".rtf", "rtf"), _RTF),
    ((".swf", "flash"), "a Flash file, which can run code"),
    ((".svg", "svg"), "an SVG drawing, which can contain scripts; send it as PNG or PDF"),
    ((".html", ".htm", ".xhtml", "text/html"), "a web page (HTML), which can run scripts in a browser"),
    ((".xml", "/xml"), "an XML file, which a browser may treat as a web page"),
]


_TEXT_FORMATS = {".html", ".htm", ".xhtml", "text/html", ".svg", "image/svg+xml", ".xml", "application/xml", ".rtf"}


def _magic(content: bytes) -> list[tuple[str, str]]:
    """puremagic's guesses, (extension, MIME type), best first; none when it does not know the file."""
    try:
        return [(m.extension.lower(), (m.mime_type or "").lower()) for m in puremagic.magic_string(content)]
    except Exception:  # puremagic raises PureError for "unknown", and may trip on odd bytes
        return []


def _magic_refusal(guesses: list[tuple[str, str]]) -> str | None:
    for extension, mime in guesses:
        for markers, what in _KNOWN_REFUSALS:
            if extension in markers or any(marker in mime for marker in markers if not marker.startswith(".")):
                return what
    return None


def _is_heif(content: bytes) -> bool:
    if content[4:8] != b"ftyp":
        return False
    size = int.from_bytes(content[:4], "big")
    brands = [content[8:12], *(content[i : i + 4] for i in range(16, min(size, 64), 4))]
    return any(brand in _HEIF_BRANDS for brand in brands)


# -- Office documents (OOXML: a zip of XML parts) -----------------------------------------------------------

_OOXML_MAIN = {
    "word/document.xml": DOCX,
    "xl/workbook.xml": XLSX,
    "ppt/presentation.xml": PPTX,
}
_MACRO_LABELS = {DOCX: "a Word document", XLSX: "an Excel workbook", PPTX: "a PowerPoint presentation"}
_MAX_ZIP_MEMBERS = 5000
_MAX_PART_BYTES = 2 * 1024 * 1024
# Relationships that make Office fetch and run something from elsewhere when the document opens.
_EXTERNAL_ACTIVE = re.compile(
    rb"<Relationship\b[^>]*?Type=\"[^\"]*/(?:attachedTemplate|oleObject|frame|subDocument)\"[^>]*?"
    rb"TargetMode=\"External\"|<Relationship\b[^>]*?TargetMode=\"External\"[^>]*?"
    rb"Type=\"[^\"]*/(?:attachedTemplate|oleObject|frame|subDocument)\"",
    re.IGNORECASE,
)


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > _MAX_PART_BYTES:
        return b""
    with archive.open(info) as handle:
        return handle.read(_MAX_PART_BYTES)


def _office(content: bytes) -> FileType:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _refuse("a damaged zip archive") from None
    if len(infos) > _MAX_ZIP_MEMBERS:
        raise _refuse("an archive with too many files inside")
    names = {info.filename.lower(): info for info in infos}
    mains = [kind for part, kind in _OOXML_MAIN.items() if part in names]
    if "[content_types].xml" not in names or len(mains) != 1:
        raise _refuse("a zip archive, which can hold any kind of file")
    kind = mains[0]
    label = _MACRO_LABELS[kind]
    try:
        types = _read_part(archive, names["[content_types].xml"]).lower()
        if b"macroenabled" in types or any(n.endswith(("vbaproject.bin", "vbadata.xml")) for n in names):
            raise _refuse(f"{label} with macros, which can run code")
        if any("/activex/" in n for n in names):
            raise _refuse(f"{label} with ActiveX controls, which can run code")
        if any("/embeddings/" in n and n.endswith(".bin") for n in names):
            raise _refuse(f"{label} with an embedded object, which can hide a program")
        for name, info in names.items():
            if name.endswith(".rels") and _EXTERNAL_ACTIVE.search(_read_part(archive, info)):
                raise _refuse(f"{label} that fetches content from the internet when it opens")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error):
        # RuntimeError: a password-protected part.
        raise _refuse(f"{label} that could not be read inside") from None
    return kind


# -- PDF ------------------------------------------------------------------------------------------------------

# Decided: a PDF that can act when opened is refused (not merely noted), whoever sends it. Fillable forms that
# format their fields with JavaScript are refused too; printing the form to a new PDF keeps its content.
_PDF_ACTIVE = [
    (re.compile(rb"/(?:JavaScript|JS)(?![A-Za-z0-9])"), "a PDF with JavaScript, which can run code when opened"),
    (re.compile(rb"/Launch(?![A-Za-z0-9])"), "a PDF that can start other programs"),
    (re.compile(rb"/EmbeddedFiles?(?![A-Za-z0-9])"), "a PDF with other files inside it, which could be programs"),
    (re.compile(rb"/RichMedia(?![A-Za-z0-9])"), "a PDF with embedded media (Flash), which can run code"),
]
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_MAX_INFLATED = 64 * 1024 * 1024


def _pdf_text(content: bytes) -> bytes:
    """The file, plus the inflated object streams (PDF 1.5 packs dictionaries, actions included, into them)."""
    found = [content]
    budget = _MAX_INFLATED
    for match in _PDF_STREAM.finditer(content):
        header = content[max(0, match.start() - 1024) : match.start()]
        if b"/ObjStm" not in header[header.rfind(b" obj") :]:
            continue
        try:
            inflated = zlib.decompressobj().decompress(content[match.end() :], budget)
        except zlib.error:
            continue
        found.append(inflated)
        budget -= len(inflated)
        if budget <= 0:
            break
    text = b"\n".join(found)
    # A name may spell its letters as #xx (/J#61vaScript).
    return _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), text)


def _pdf(content: bytes) -> FileType:
    text = _pdf_text(content)
    for pattern, what in _PDF_ACTIVE:
        if pattern.search(text):
            raise _refuse(what)
    return PDF


# -- Text -----------------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
# Markup a browser or Windows would run: checked anywhere in the file, not only at its start.
_MARKUP = [
    (re.compile(r"<\s*hta:application\b", re.I), "an HTML application (.hta), which runs as a program"),
    (re.compile(r"<\s*svg\b", re.I), "an SVG drawing, which can contain scripts; send it as PNG or PDF"),
    (
        re.compile(
            r"<\s*(?:script|html|head|body|iframe|frameset|object|embed|applet|meta|form|base|link|style|img|title)\b"
            r"[^>]*>|<!doctype\s+html|\bjavascript\s*:",
            re.I,
        ),
        "a web page (HTML), which can run scripts in a browser",
    ),
    (re.compile(r"\A\ufeff?\s*<\?xml\b", re.I), "an XML file, which a browser may treat as a web page"),
]
# Strong signs of a script, not words a letter would use.
_SCRIPT = [
    (re.compile(r"\A\ufeff?#!"), "a script, which can run commands"),
    (re.compile(r"\A\ufeff?\s*@?echo\s+off\b", re.I), "a Windows batch file, which runs commands"),
    (re.compile(r"\A\ufeff?\s*\{\\rtf", re.I), _RTF),
    (re.compile(r"\bWScript\.|\bActiveXObject\b|\bCreateObject\s*\(|\bShell\.Application\b", re.I), ""),
    (re.compile(r"\bpowershell(?:\.exe)?\s+-|\bInvoke-Expression\b|\bIEX\s*\(|FromBase64String\s*\(", re.I), ""),
    (re.compile(r"\bcmd(?:\.exe)?\s+/[ck]\b|\bmshta\b|\brundll32\b|\bregsvr32\b|\bcertutil\b", re.I), ""),
    (re.compile(r"\beval\s*\(|\bnew\s+Function\s*\(|\bdocument\.write\s*\(|\bString\.fromCharCode\s*\("), ""),
]
# Names that tell Windows to run a file: a text file sent under one of them is refused, whatever it says.
_RUNNABLE = {
    ".bat": "a Windows batch file, which runs commands",
    ".cmd": "a Windows batch file, which runs commands",
    ".ps1": "a PowerShell script, which can run code",
    ".psm1": "a PowerShell script, which can run code",
    ".vbs": "a VBScript file, which can run code",
    ".vbe": "a VBScript file, which can run code",
    ".js": "a script (JavaScript), which can run code",
    ".jse": "a script (JavaScript), which can run code",
    ".mjs": "a script (JavaScript), which can run code",
    ".wsf": "a Windows script, which can run code",
    ".wsh": "a Windows script, which can run code",
    ".hta": "an HTML application (.hta), which runs as a program",
    ".html": "a web page (HTML), which can run scripts in a browser",
    ".htm": "a web page (HTML), which can run scripts in a browser",
    ".xhtml": "a web page (HTML), which can run scripts in a browser",
    ".svg": "an SVG drawing, which can contain scripts; send it as PNG or PDF",
    ".url": "an internet shortcut, which can start a program",
    ".reg": "a Windows registry file, which changes the computer's settings",
    ".inf": "a Windows setup file, which can install programs",
    ".scf": "a Windows shell command file",
    ".sh": "a script, which can run commands",
    ".py": "a script, which can run code",
    ".pl": "a script, which can run code",
    ".eml": "a saved email, which can carry its own attachments and web content",
    ".mht": "a saved web page, which can run scripts in a browser",
    ".mhtml": "a saved web page, which can run scripts in a browser",
}
_HEADER_BLOCK = re.compile(r"\A(?:[A-Za-z][\w-]*:[^\n]*\n(?:[ \t][^\n]*\n)*)+")
_MAIL_ONLY_HEADERS = re.compile(
    r"^(?:Received|Message-ID|MIME-Version|Content-Type|Return-Path|DKIM-Signature):", re.I | re.M
)


def _is_saved_email(text: str) -> bool:
    """Mail headers as a mail program writes them: more than a letter typed with From/To/Subject lines."""
    block = _HEADER_BLOCK.match(text[:16384].replace("\r\n", "\n"))
    return (
        block is not None
        and bool(re.search(r"^From:", block.group(0), re.I | re.M))
        and bool(_MAIL_ONLY_HEADERS.search(block.group(0)))
    )


def _text(content: bytes, name: str) -> FileType | None:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    for pattern, what in _MARKUP:
        if pattern.search(text):
            raise _refuse(what)
    for pattern, what in _SCRIPT:
        if pattern.search(text):
            raise _refuse(what or "a script, which can run code")
    # Formats written as text that puremagic knows by their start (and the checks above might miss).
    refusal = _magic_refusal([(e, m) for e, m in _magic(content) if e in _TEXT_FORMATS or m in _TEXT_FORMATS])
    if refusal is not None:
        raise _refuse(refusal)
    # Decided: a saved email (.eml) is not attached: it can carry its own attachments and web content, which
    # this check would not see. The original message keeps it. (An email forwarded inline is read as text.)
    if _is_saved_email(text):
        raise _refuse(_RUNNABLE[".eml"])
    extension = _extension(name)
    if extension in _RUNNABLE:
        raise _refuse(_RUNNABLE[extension])
    return TEXT


def identify(content: bytes, name: str = "") -> FileType:
    """What the file really is, from the allow-list; refuses anything else with an ApplicationError saying why.

    ``name`` is the name the file came with. It never makes a file acceptable; it only refuses text sent under
    a name that Windows would run (``run.bat``).
    """
    if content.startswith(b"%PDF-"):
        return _pdf(content)
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if _is_heif(content):
        return HEIC
    if content.startswith(b"PK\x03\x04"):
        return _office(content)
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(_OLD_OFFICE)
    # Text first, read as a whole: a letter that happens to start like some binary format's signature ("CWS
    # team", "MZ ward") is still a letter; markup and scripts are refused by the text checks.
    found = _text(content, name)
    if found is not None:
        return found
    if content.startswith(b"MZ"):
        raise _refuse("a Windows program")
    refusal = _magic_refusal(_magic(content))
    if refusal is not None:
        raise _refuse(refusal)
    raise ApplicationError(f"This kind of file cannot be attached. Use {ALLOWED_DESCRIPTION}.")


def check_upload(upload: UploadedFile) -> str:
    """Return the file's real content type, or refuse it with a message saying what is allowed."""
    size = upload.size or 0
    if size == 0:
        raise ApplicationError("The file is empty.")
    if size > MAX_UPLOAD_BYTES:
        raise ApplicationError(f"The file is {size / 1048576:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 1048576} MB.")
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return identify(content, upload.name or "").content_type


# -- Names ----------------------------------------------------------------------------------------------------

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*]')
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,6}$")


def _extension(name: str) -> str:
    found = _EXTENSION.search(clean_filename(name))
    return found.group(0).lower() if found else ""


def clean_filename(name: str) -> str:
    """The name without the characters that disguise it: bidirectional and other format controls, control
    characters, and any folder part. ``notes.txt\\u202egpj.vbs`` (shown as ``notes.txtsbv.jpg``) becomes
    ``notes.txtgpj.vbs``."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cf", "Cc", "Cs", "Co", "Zl", "Zp"))
    name = PureWindowsPath(PurePosixPath(name.replace("\\", "/")).name).name
    name = _UNSAFE_CHARS.sub("_", " ".join(name.split()))
    return name.strip(". ")


def safe_filename(name: str, content_type: str, *, default: str = "attachment") -> str:
    """The name to store and send a file under: cleaned, with the extension of what the file really is.

    ``photo.exe`` that is a JPEG becomes ``photo.jpg``; ``scan`` that is a PDF becomes ``scan.pdf``.
    """
    name = clean_filename(name)
    kind = ALLOWED.get(content_type)
    extensions = kind.extensions if kind else (".bin",)
    match = _EXTENSION.search(name)
    stem = name[: match.start()] if match else name
    stem = stem.rstrip(". ") or default
    if stem.split(".")[0].lower() in _RESERVED:
        stem = f"_{stem}"
    extension = match.group(0).lower() if match and match.group(0).lower() in extensions else extensions[0]
    return stem[: 255 - len(extension)] + extension


def served_content_type(content_type: str) -> str:
    """The type a download is sent as: its own for what browsers show safely, plain bytes for the rest."""
    kind = ALLOWED.get(content_type)
    if kind is None or not kind.served_as_is:
        return "application/octet-stream"
    return "text/plain; charset=utf-8" if kind is TEXT else kind.content_type


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name for old clients and the exact name in RFC 5987 form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9 ._()+,=@~-]", "_", ascii_name).strip(". ") or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
