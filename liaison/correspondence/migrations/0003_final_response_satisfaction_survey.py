"""Add the satisfaction survey paragraph to the final response templates that Liaison loaded and nobody changed.

``templates_sync`` loads the shipped files only where a template does not exist yet, so an existing installation
would keep final responses without the survey's address and code. Like a manager's change, the paragraph arrives
as a new version (letters already drafted keep theirs). A version a manager wrote (``created_by`` set) is left
as it is: that site adds the paragraph itself (see ``letters/README.md``). A new installation has no templates
yet when this runs and gets the paragraph from the files.
"""

from typing import Any

from django.db import migrations

NOTE = "Liaison update: the satisfaction survey paragraph for complainants without an email address."

# (pack, language): the sign-off the paragraph goes before, and the paragraph, as shipped with this change.
PARAGRAPHS = {
    ("england_nhs", "en"): (
        "<p>Yours sincerely,</p>",
        (
            "{% if satisfaction_survey %}<p>We would also like to hear how you feel we handled your complaint. If "
            "you are willing, please go to {{ satisfaction_survey.address }} and enter the code <strong>"
            "{{ satisfaction_survey.code }}</strong> to answer three short questions, until "
            '{{ satisfaction_survey.until|date:"j F Y" }}. It is up to you whether you answer, and the staff who '
            "dealt with your complaint will not see which answers are yours.</p>\n\n{% endif %}"
        ),
    ),
    ("england_nhs", "es"): (
        "<p>Atentamente,</p>",
        (
            "{% if satisfaction_survey %}<p>También nos gustaría saber cómo valora la forma en que gestionamos su "
            "queja. Si lo desea, visite {{ satisfaction_survey.address }} y escriba el código <strong>"
            "{{ satisfaction_survey.code }}</strong> para responder a tres preguntas breves, hasta el "
            '{{ satisfaction_survey.until|date:"j \\d\\e F \\d\\e Y" }}. Responder es voluntario, y el personal '
            "que se ocupó de su queja no podrá ver qué respuestas son las suyas.</p>\n\n{% endif %}"
        ),
    ),
    ("us_cms", "en"): (
        "<p>Sincerely,</p>",
        (
            "{% if satisfaction_survey %}<p>We would also like to hear how you feel we handled your concern. If "
            "you are willing, please go to {{ satisfaction_survey.address }} and enter the code <strong>"
            "{{ satisfaction_survey.code }}</strong> to answer three short questions, until "
            '{{ satisfaction_survey.until|date:"F j, Y" }}. It is up to you whether you answer, and the staff who '
            "handled your concern will not see which answers are yours.</p>\n\n{% endif %}"
        ),
    ),
    ("us_cms", "es"): (
        "<p>Atentamente,</p>",
        (
            "{% if satisfaction_survey %}<p>También nos gustaría saber cómo valora la forma en que atendimos su "
            "queja. Si lo desea, visite {{ satisfaction_survey.address }} y escriba el código <strong>"
            "{{ satisfaction_survey.code }}</strong> para responder a tres preguntas breves, hasta el "
            '{{ satisfaction_survey.until|date:"j \\d\\e F \\d\\e Y" }}. Responder es voluntario, y el personal '
            "que atendió su queja no podrá ver qué respuestas son las suyas.</p>\n\n{% endif %}"
        ),
    ),
}


def add_survey_paragraph(apps: Any, schema_editor: Any) -> None:
    LetterTemplate = apps.get_model("correspondence", "LetterTemplate")
    for (pack, language), (sign_off, paragraph) in PARAGRAPHS.items():
        latest = (
            LetterTemplate.objects.filter(pack=pack, kind="final_response", language=language)
            .order_by("-version")
            .first()
        )
        if (
            latest is None
            or latest.created_by_id is not None
            or "satisfaction_survey" in latest.body
            or latest.body.count(sign_off) != 1
        ):
            continue
        LetterTemplate.objects.create(
            pack=pack,
            kind="final_response",
            language=language,
            version=latest.version + 1,
            subject=latest.subject,
            body=latest.body.replace(sign_off, paragraph + sign_off),
            note=NOTE,
        )


def remove_survey_paragraph(apps: Any, schema_editor: Any) -> None:
    """Back to the previous version, except where letters were already drafted from the new one (they keep it)."""
    LetterTemplate = apps.get_model("correspondence", "LetterTemplate")
    LetterTemplate.objects.filter(
        kind="final_response", note=NOTE, created_by__isnull=True, letters__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0002_letter_confirmed_elements"),
    ]

    operations = [
        migrations.RunPython(add_survey_paragraph, remove_survey_paragraph),
    ]
