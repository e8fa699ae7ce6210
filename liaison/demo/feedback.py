"""Demo feedback: a survey per hospital and about 200 invented answers, analysed by the shipped model."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from liaison.accounts.models import User
from liaison.feedback import services, tallies
from liaison.feedback.models import Channel, FeedbackResponse
from liaison.org.models import Department, Site

# Invented comments, in the voice of patients and families (none is real feedback).
COMMENTS = [
    (1, "The nurses on the ward were kind and explained everything before each test. Thank you all."),
    (1, "Brilliant care from the paramedics and the emergency team, I felt safe the whole time."),
    (1, "The physiotherapist took time to listen and gave me exercises I can actually do at home."),
    (1, "Clean, calm and friendly. The receptionist remembered my name on my second visit."),
    (2, "Good care overall, the doctor was patient with my questions about the new medication."),
    (2, "Staff were lovely with my dad who has dementia, they let me stay with him."),
    (2, "Appointment ran on time and the results were sent to my GP the same week."),
    (2, "The food was better than I expected and there was a choice for my diet."),
    (3, "Treatment was fine but the car park was full and I nearly missed my slot."),
    (3, "Nice staff, but I was given two different discharge times on the same day."),
    (3, "It was okay. The waiting room was cramped and the television was too loud."),
    (4, "I waited four hours in the emergency department and nobody told me why."),
    (4, "My appointment letter arrived after the appointment date, so I had to rebook."),
    (4, "Phoned the clinic six times and nobody called back about my test results."),
    (4, "My mother's medication was late every evening on the ward, the staff seemed overstretched."),
    (4, "The toilets on the ward were not cleaned all weekend."),
    (4, "Transport to my dialysis came an hour late three times this month."),
    (5, "The doctor spoke over me and would not listen when I said the pain was getting worse."),
    (5, "Discharged at midnight with no transport and no explanation of my new tablets. Disgraceful."),
    (5, "Nobody answered the call bell for forty minutes and my husband was left in a wet bed."),
    (5, "Rude receptionist who laughed when I asked for an interpreter for my grandmother."),
    (5, "My son's referral was lost twice and we are still waiting months later."),
    (6, ""),
]


COMBINED_DEMO_QUESTION = "What was good, and what could we do better?"


def demo_load_feedback(*, answers_per_site: int = 100) -> int:
    """Load once: nothing is added when the demo sites already have feedback."""
    sites = list(Site.objects.filter(code__in=["RGH", "HPM"]))
    if not sites or FeedbackResponse.objects.filter(site__in=sites).exists():
        return 0
    officer = User.objects.get(email="manager@demo.liaison.example")
    rng = random.Random(2026)  # noqa: S311 - repeatable demo data, not security
    added = 0
    with transaction.atomic():
        for site in sites:
            department = Department.objects.filter(site=site).order_by("pk").first()
            survey = services.survey_create(
                acting_user=officer, site=site, title=f"Tell us about your visit to {site.name}", department=department
            )
            fft = services.survey_add_question(
                acting_user=officer,
                survey=survey,
                kind="fft",
                text="Overall, how was your experience of our service?",
                required=True,
            )
            text = services.survey_add_question(
                acting_user=officer, survey=survey, kind="text", text=COMBINED_DEMO_QUESTION
            )
            departments = list(Department.objects.filter(site=site))
            for _ in range(answers_per_site):
                score, comment = rng.choice(COMMENTS)
                consent = score == 5 and rng.random() < 0.3
                response = services.response_submit(
                    survey=survey,
                    answers={str(fft.pk): score, str(text.pk): comment},
                    consent=consent,
                    name="Demo Respondent" if consent else "",
                    email="respondent@example.com" if consent else "",
                    channel=rng.choice([Channel.WEB, Channel.QR]),
                )
                days = rng.randint(0, 180)
                FeedbackResponse.objects.filter(pk=response.pk).update(
                    received_on=timezone.localdate() - timedelta(days=days), department=rng.choice(departments)
                )
                added += 1
        # The answers were back-dated and spread over departments after they were counted: count them again.
        tallies.rebuild(site_ids=[site.pk for site in sites])
    _analyse_all()
    return added


def _analyse_all() -> None:
    try:
        services.shipped_model()
    except Exception:  # the demo runs without analysis if no model is shipped yet
        return
    for response in FeedbackResponse.objects.filter(analysed_at__isnull=True).exclude(comment=""):
        services.response_analyse(response=response)
