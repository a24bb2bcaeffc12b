from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def set_session_expiry_by_role(sender, request, user, **kwargs):
    request.session.set_expiry(user.login_session_ttl())
