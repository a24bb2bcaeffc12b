"""Files that go with rows: a reference photo's image goes when its row does (a deleted student's too)."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import AttendanceRecord, ReferencePhoto, ReferenceUpload
from .photos import images


@receiver(post_delete, sender=ReferencePhoto)
@receiver(post_delete, sender=ReferenceUpload)
def delete_photo_file(sender, instance, **kwargs):
    name = instance.image if sender is ReferencePhoto else instance.archive
    transaction.on_commit(lambda: images.delete(name))


@receiver(post_delete, sender=AttendanceRecord)
def delete_check_in_photo(sender, instance, **kwargs):
    if instance.photo:
        name = instance.photo
        transaction.on_commit(lambda: images.delete(name))
