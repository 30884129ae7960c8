from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver

from .tokens import tokens_revoke_for_new_password


@receiver(post_save, sender=get_user_model(), dispatch_uid="tokens_end_with_the_password")
def tokens_end_with_the_password(sender, instance, **kwargs):
    # set_password() keeps the new raw password until the save that stores it (as Django's own
    # password validators rely on): that save is a password change.
    if getattr(instance, "_password", None) is not None and not kwargs.get("created"):
        tokens_revoke_for_new_password(instance)
