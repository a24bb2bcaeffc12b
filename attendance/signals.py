"""Files that go with rows: a reference photo, an upload or an excuse's document goes when its row does."""

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from . import storage
from .models import AttendanceRecord, ExcuseRequest, ReferencePhoto, ReferenceUpload


@receiver(post_delete, sender=ReferencePhoto)
@receiver(post_delete, sender=ReferenceUpload)
def delete_photo_file(sender, instance, **kwargs):
    name = instance.image if sender is ReferencePhoto else instance.archive
    transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=AttendanceRecord)
def delete_check_in_photo(sender, instance, **kwargs):
    if instance.photo:
        name = instance.photo
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_delete, sender=ExcuseRequest)
def delete_excuse_document(sender, instance, **kwargs):
    if instance.attachment:
        name = instance.attachment
        transaction.on_commit(lambda: storage.delete(name))
