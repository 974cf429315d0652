"""Create (or reset) the development superuser that `make run` prints; refuses when DEBUG is off."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the development admin user (DEBUG only) and print how to log in."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("ensure_dev_admin is for development only (DEBUG=1); use createsuperuser in production")
        username = os.environ.get("LETTERBOOK_ADMIN_USER", "admin")
        password = os.environ.get("LETTERBOOK_ADMIN_PASSWORD", "letterbook")
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            f"\nLetterbook is serving on http://127.0.0.1:8000/\n"
            f"Admin: http://127.0.0.1:8000/admin/  user {username!r}, password {password!r} (development only)\n"
        )
