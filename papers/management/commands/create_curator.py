import getpass
import os
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from papers.curation import CURATORS_GROUP


class Command(BaseCommand):
    help = (
        "Create or update a staff user in the Curators group. The password comes from CURATOR_PASSWORD, "
        "or is asked for twice when run in a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default=None, help="the curator's e-mail address")

    def handle(self, *, username, email, **options):
        try:
            group = Group.objects.get(name=CURATORS_GROUP)
        except Group.DoesNotExist:
            raise CommandError(f"no {CURATORS_GROUP} group; run `manage.py migrate` first") from None
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username)
        if email is not None:
            user.email = email
        password = self.read_password()
        try:
            password_validation.validate_password(password, user)
        except ValidationError as err:
            raise CommandError("password refused: " + " ".join(err.messages)) from None
        user.set_password(password)
        user.is_staff = user.is_active = True
        user.save()
        user.groups.add(group)
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} curator {username!r} (staff, in {CURATORS_GROUP})."))

    def read_password(self):
        password = os.environ.get("CURATOR_PASSWORD")
        if password:
            return password
        if not sys.stdin.isatty():
            raise CommandError("set CURATOR_PASSWORD, or run this in a terminal to be asked for the password")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return password
