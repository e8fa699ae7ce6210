"""``liaison mail ingest PATH``: a Maildir, a folder of .eml files or one file; a line per message and a count."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import Cast
from liaison.cases.models import Case, TimelineKind
from liaison.cli import main
from liaison.inbound.models import InboundMessage, InboundStatus
from liaison.inbound.sources import MessageFile
from liaison.inbound.tests import samples


def ingest(*args: str) -> list[str]:
    out = StringIO()
    call_command("mail", "ingest", *args, stdout=out)
    return out.getvalue().splitlines()


def make_maildir(root: Path, messages: dict[str, bytes]) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    for name, raw in messages.items():
        (root / "new" / name).write_bytes(raw)
    return root


def test_a_maildir_is_read_and_its_messages_marked_seen(riverside_case: Case, tmp_path: Path) -> None:
    maildir = make_maildir(
        tmp_path / "Maildir",
        {
            "1772528062.M1P100.mx1": samples.outlook_reply(riverside_case.reference),
            "1772574425.M2P100.mx1": samples.webmail_complaint(),
        },
    )

    lines = ingest(str(maildir))

    assert lines == [
        f"new/1772528062.M1P100.mx1  attached  {riverside_case.reference}",
        "new/1772574425.M2P100.mx1  new case  RGH-2026-00002",
        "2 messages: 1 attached to a case, 1 new case, 0 quarantined, 0 already ingested.",
    ]
    assert not list((maildir / "new").iterdir())
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1772528062.M1P100.mx1:2,S",
        "1772574425.M2P100.mx1:2,S",
    ]

    # A second run finds them in cur/, already ingested: nothing is filed twice.
    again = ingest(str(maildir))
    assert again[-1] == "2 messages: 0 attached to a case, 0 new cases, 0 quarantined, 2 already ingested."
    assert again[0] == f"cur/1772528062.M1P100.mx1:2,S  already ingested  {riverside_case.reference}"
    assert InboundMessage.objects.count() == 2
    assert Case.objects.count() == 2
    assert riverside_case.timeline.filter(kind=TimelineKind.EMAIL).count() == 1


def test_a_folder_of_eml_files_with_every_outcome(riverside_case: Case, tmp_path: Path) -> None:
    (tmp_path / "a-reply.eml").write_bytes(
        samples.outlook_reply(riverside_case.reference, attachment=samples.EXE, filename="letter.pdf")
    )
    (tmp_path / "b-broken.EML").write_bytes(samples.truncated_multipart())
    (tmp_path / "c-stranger.eml").write_bytes(samples.webmail_complaint(to="info@elsewhere.example"))
    # Hidden and temporary files are not messages; the command says it left them.
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tmp_path / "d-draft.eml~").write_bytes(samples.html_only())

    lines = ingest(str(tmp_path))

    assert lines == [
        f"a-reply.eml  attached  {riverside_case.reference}  1 attachment withheld (see the case timeline)",
        "b-broken.EML  quarantined  -  The message is malformed: its last part is never closed, "
        "so the message may have been cut short.",
        "c-stranger.eml  quarantined  -  No site for recipient info@elsewhere.example: no site has this "
        "complaints address and no --site was given.",
        "3 messages: 1 attached to a case, 0 new cases, 2 quarantined, 0 already ingested; 2 skipped.",
        ".DS_Store  skipped  -  a hidden file",
        "d-draft.eml~  skipped  -  a temporary file",
    ]
    assert InboundMessage.objects.filter(status=InboundStatus.QUARANTINED).count() == 2


def test_one_file_ingested_twice_reports_it_already_ingested(rgh_complaints: Cast, tmp_path: Path) -> None:
    eml = tmp_path / "complaint.eml"
    eml.write_bytes(samples.webmail_complaint())

    assert ingest(str(eml))[0] == "complaint.eml  new case  RGH-2026-00001"
    assert ingest(str(eml)) == [
        "complaint.eml  already ingested  RGH-2026-00001",
        "1 message: 0 attached to a case, 0 new cases, 0 quarantined, 1 already ingested.",
    ]
    assert Case.objects.count() == 1


def test_site_option_places_messages_no_site_claims(rgh_complaints: Cast, tmp_path: Path) -> None:
    eml = tmp_path / "complaint.eml"
    eml.write_bytes(samples.webmail_complaint(to="info@elsewhere.example"))
    assert ingest(str(eml), "--site", "hpm")[0].startswith("complaint.eml  new case  HPM-2026-")


def test_an_unknown_site_code_is_refused_before_reading_anything(rgh_complaints: Cast, tmp_path: Path) -> None:
    (tmp_path / "complaint.eml").write_bytes(samples.webmail_complaint())
    with pytest.raises(CommandError, match="No site has the code XYZ"):
        ingest(str(tmp_path), "--site", "XYZ")
    assert not InboundMessage.objects.exists()


def test_a_path_that_cannot_be_read_exits_1(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist") as failure:
        ingest(str(tmp_path / "missing"))
    assert failure.value.returncode == 1


def test_liaison_mail_passes_through_to_the_command(tmp_path: Path) -> None:
    # Through the real entry point; the path is checked before the database is touched.
    with pytest.raises(SystemExit) as exit_:
        main(["mail", "ingest", str(tmp_path / "missing")])
    assert exit_.value.code == 1


def test_a_file_that_cannot_be_read_is_left_in_place_and_exits_1(
    rgh_complaints: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.eml").write_bytes(samples.webmail_complaint())
    locked = tmp_path / "b.eml"
    locked.write_bytes(samples.html_only())
    # Permissions would do, but the tests may run as root, who reads everything.
    real_read = MessageFile.read

    def read(self: MessageFile) -> bytes:
        if self.path == locked:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(MessageFile, "read", read)
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 file") as failure:
        call_command("mail", "ingest", str(tmp_path), stdout=out, stderr=err)

    assert failure.value.returncode == 1
    assert out.getvalue().splitlines()[-1].endswith("0 already ingested, 1 unreadable.")
    assert "b.eml  unreadable  -  Permission denied; left where it is" in err.getvalue()
    assert InboundMessage.objects.count() == 1
    assert locked.exists()


def test_automatic_mail_is_counted_in_the_summary_and_opens_no_case(rgh_complaints: Cast, tmp_path: Path) -> None:
    source = Path(__file__).parent / "messages" / "automatic-out-of-office.eml"
    (tmp_path / "reply.eml").write_bytes(source.read_bytes())

    lines = ingest(str(tmp_path), "--site", "RGH")

    assert lines[-1].endswith("0 already ingested, 1 automatic (bounces, receipts, auto-replies).")
    assert InboundMessage.objects.get().status == InboundStatus.AUTOMATIC
    assert Case.objects.count() == 0
