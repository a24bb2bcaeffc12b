"""System checks for the settings the live path depends on."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def check_live_settings(app_configs, **kwargs):
    problems = []
    if settings.CODE_STEP_SECONDS < 5:
        problems.append(Error("CODE_STEP_SECONDS must be at least 5.", id="attn.E001"))
    if settings.LIVE_GRACE_DAYS < 1:
        problems.append(Error("LIVE_GRACE_DAYS must be at least 1 day.", id="attn.E002"))
    if settings.SWEEP_CLAIM_SECONDS <= 60:
        problems.append(Error("SWEEP_CLAIM_SECONDS must be over 60.", id="attn.E003"))
    if not 3 <= settings.SWEEP_CLAIM_TTL < settings.SWEEP_CLAIM_SECONDS:
        problems.append(Error("SWEEP_CLAIM_TTL must be at least 3 and under SWEEP_CLAIM_SECONDS.", id="attn.E007"))
    for entry in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            problems.append(Error(f"TRUSTED_PROXIES: {entry!r} is not an address or CIDR range.", id="attn.E004"))
    if settings.LIVE_CHALLENGE_SECONDS < 10:
        problems.append(
            Error("LIVE_CHALLENGE_SECONDS must be at least 10 (two pictures and an upload).", id="attn.E008")
        )
    if not 0 < settings.PHOTO_TURN_MIN < 1:
        problems.append(
            Error("PHOTO_TURN_MIN must be between 0 and 1 (a share of half the face's width).", id="attn.E009")
        )
    if settings.SWEEP_INTERVAL % 60:
        problems.append(Warning("SWEEP_INTERVAL is rounded to whole minutes by the schedule.", id="attn.W001"))
    if not settings.SECRET_KEY:
        problems.append(Error("SECRET_KEY must be set when PRODUCTION is on.", id="attn.E005"))
    elif settings.PRODUCTION and (
        settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY or len(settings.SECRET_KEY) < 50
    ):
        problems.append(
            Error(
                "SECRET_KEY is the public development key or shorter than 50 characters.",
                hint="Generate one: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="attn.E006",
            )
        )
    return problems
