"""Raw emails shaped like the ones a patient relations office receives, built as bytes.

Each is written out as RFC 5322 text, the way the sending program lays it out, rather than built with
``email.message``: the point is to read what real mail programs send.
"""

from __future__ import annotations

import base64
from pathlib import Path

from django.conf import settings

from liaison.inbound.models import InboundMessage

# A small but well-formed PDF: what a scanned letter or discharge summary starts like.
PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
# A Windows executable: "MZ", then the DOS stub.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def outlook_reply(reference: str, *, attachment: bytes = PDF, filename: str = "Discharge summary.pdf") -> bytes:
    """Outlook desktop replying to the office's letter: mixed(alternative(plain, html), pdf), CRLF, cp1252."""
    return crlf(f"""\
Received: from DB9PR01MB1234.eurprd01.prod.outlook.com (2603:10a6:10:2d7::9) by
 mx1.rgh.example with Microsoft SMTP Server; Tue, 3 Mar 2026 09:14:25 +0000
From: Jane Doe <jane.doe@example.net>
To: Patient Relations - Riverside <complaints@rgh.example>
Subject: RE: Your complaint {reference}
Thread-Topic: Your complaint {reference}
Thread-Index: AQHbx2Vk3oC7PZqW0kS3l1rR8VtXWw==
Date: Tue, 3 Mar 2026 09:14:22 +0000
Message-ID: <DB9PR01MB1234ABCD5678@DB9PR01MB1234.eurprd01.prod.outlook.com>
References: <liaison.{reference}.1@rgh.example>
In-Reply-To: <liaison.{reference}.1@rgh.example>
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator:
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="_004_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_"

--_004_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_
Content-Type: multipart/alternative;
\tboundary="_000_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_"

--_000_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_
Content-Type: text/plain; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

Dear Patient Relations team,

Thank you for your letter. I attach the discharge summary my mother was giv=
en on 14 February =96 the medication list on page 2 is wrong.

Kind regards
Jane Doe

________________________________
From: Patient Relations <complaints@rgh.example>
Sent: 27 February 2026 16:02
To: Jane Doe <jane.doe@example.net>
Subject: Your complaint {reference}

Dear Ms Doe,

We have received your complaint and will reply within 25 working days.

--_000_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_
Content-Type: text/html; charset="Windows-1252"
Content-Transfer-Encoding: quoted-printable

<html><head><meta http-equiv=3D"Content-Type" content=3D"text/html; charset=
=3DWindows-1252"><style>p.MsoNormal {{margin:0cm;}}</style></head>
<body lang=3D"EN-GB"><div class=3D"WordSection1"><p class=3D"MsoNormal">HTM=
L VERSION OF THE REPLY</p></div></body></html>

--_000_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_--

--_004_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_
Content-Type: application/pdf; name="{filename}"
Content-Description: {filename}
Content-Disposition: attachment; filename="{filename}"; size={len(attachment)};
\tcreation-date="Tue, 03 Mar 2026 09:13:58 GMT";
\tmodification-date="Tue, 03 Mar 2026 09:13:58 GMT"
Content-Transfer-Encoding: base64

{b64(attachment)}

--_004_DB9PR01MB1234ABCD5678DB9PR01MB1234eurp_--
""")


def webmail_complaint(
    *,
    to: str = "Patient Relations <Complaints@RGH.example>",
    attachment: bytes = PDF,
    filename: str = "what happened.pdf",
    subject: str = "Complaint about my father's care on Ward 7",
    date: str = "Tue, 3 Mar 2026 21:47:05 +0000",
    message_id: str = "<CAF3kq9Ue1x7=Zt2p0wKk2@mail.gmail.example>",
) -> bytes:
    """A first complaint from a web-mail client: mixed(alternative(plain, html), pdf), LF line endings."""
    return f"""\
Received: by 2002:a05:6402:1a2b:b0:5c8:1234:abcd with SMTP id x11csp123456;
        Tue, 3 Mar 2026 13:47:06 -0800 (PST)
MIME-Version: 1.0
Date: {date}
Message-ID: {message_id}
Subject: {subject}
From: Sam Carter <sam.carter@mail.example>
To: {to}
Content-Type: multipart/mixed; boundary="000000000000a1b2c3d4e5f6a7b8"

--000000000000a1b2c3d4e5f6a7b8
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f6a7b6"

--000000000000a1b2c3d4e5f6a7b6
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hello,

My father, Albert Carter (born 2 May 1941), was on Ward 7 from 20 to 26 Feb=
ruary. Nobody answered his call bell at night and he was left in a wet bed =
until the morning.

I have written down what happened day by day (attached).

Sam Carter
07700 900123

--000000000000a1b2c3d4e5f6a7b6
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr"><div>Hello,</div><div><br></div><div>HTML VERSION</div></div>

--000000000000a1b2c3d4e5f6a7b6--
--000000000000a1b2c3d4e5f6a7b8
Content-Type: application/pdf; name="{filename}"
Content-Disposition: attachment; filename="{filename}"
Content-Transfer-Encoding: base64
Content-ID: <f_lt2x1abc0>
X-Attachment-Id: f_lt2x1abc0

{b64(attachment)}
--000000000000a1b2c3d4e5f6a7b8--
""".encode()


def html_only() -> bytes:
    """A phone mail app or a website's contact form relay: a single text/html part."""
    return b"""\
Return-Path: <priya.n@mail.example>
From: =?utf-8?q?Priya_N=C3=A1ir?= <priya.n@mail.example>
To: complaints@rgh.example
Subject: =?utf-8?q?Parking_charges_=E2=80=93_blue_badge?=
Date: Wed, 4 Mar 2026 07:55:10 +0000
Message-ID: <20260304075510.4f2a@mail.example>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 8bit

<!DOCTYPE html>
<html><head><title>Message</title>
<style>body { font-family: Arial; } .x { color: red; }</style>
<script>trackOpen("abc");</script></head>
<body>
<p>Dear Sir or Madam,</p>
<p>I was charged &pound;12 for parking although I have a blue badge.<br>
The machine at the main entrance&nbsp;was broken.</p>
<ul><li>Date: 2 March</li><li>Car park: B</li></ul>
<p>Regards,<br>Priya N\xc3\xa1ir</p>
</body></html>
"""


def truncated_multipart() -> bytes:
    """A message cut short in transit: the multipart boundary is opened but never closed."""
    return b"""\
From: Tom Reyes <tom.reyes@mail.example>
To: complaints@rgh.example
Subject: My complaint (with photos)
Date: Tue, 3 Mar 2026 18:02:44 +0000
Message-ID: <a1b2c3@mail.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_4411_9921.1709488964"

------=_Part_4411_9921.1709488964
Content-Type: text/plain; charset=UTF-8

Please see the photos of the corridor.

------=_Part_4411_9921.1709488964
Content-Type: image/jpeg; name=corridor.jpg
Content-Disposition: attachment; filename=corridor.jpg
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHR8eHR0a
HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIy
"""


def garbage_base64() -> bytes:
    """An attachment whose base64 was mangled (a relay that rewrote it)."""
    return b"""\
From: Tom Reyes <tom.reyes@mail.example>
To: complaints@rgh.example
Subject: Letter from the GP
Date: Tue, 3 Mar 2026 18:05:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=UTF-8

The GP's letter is attached.
--b1
Content-Type: application/pdf; name="gp letter.pdf"
Content-Disposition: attachment; filename="gp letter.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjcK!!!this is not base64 at all???***
--b1--
"""


def no_sender() -> bytes:
    return b"""\
To: complaints@rgh.example
Subject: (no sender)
Date: Tue, 3 Mar 2026 18:05:00 +0000

Who sent this?
"""


def raw_on_disk(message: InboundMessage) -> bytes:
    """The stored copy of the message, read from the files folder."""
    return (Path(settings.MEDIA_ROOT) / message.raw_file.name).read_bytes()
