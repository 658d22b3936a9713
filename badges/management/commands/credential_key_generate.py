"""Make a signing key for an issuer (rotating out the previous one).

manage.py credential_key_generate                 # the platform
manage.py credential_key_generate --issuer hd-tdc --organisation-code 110108
"""

from django.core.management.base import BaseCommand, CommandError

from badges import keys
from badges.models import Issuer


class Command(BaseCommand):
    help = "Generate an Ed25519 signing key for a credential issuer (the old one stays published)."

    def add_arguments(self, parser):
        parser.add_argument("--issuer", default=keys.PLATFORM_SLUG, help="issuer slug")
        parser.add_argument(
            "--organisation-code",
            help="create the issuer for this organisation (its 机构代码) if it does not exist",
        )
        parser.add_argument("--name", help="issuer display name (when creating)")
        parser.add_argument(
            "--print-only",
            action="store_true",
            help="do not write the secret file; print the secret for CREDENTIAL_KEYS",
        )

    def handle(self, *args, issuer, organisation_code, name, print_only, **options):
        if issuer == keys.PLATFORM_SLUG:
            target = keys.platform_issuer()
        else:
            target = Issuer.objects.filter(slug=issuer).first()
            if target is None:
                if not organisation_code:
                    raise CommandError(
                        f"no issuer '{issuer}': give --organisation-code to create it"
                    )
                from cms.accounts.models import Organisation

                org = Organisation.objects.filter(code=organisation_code).first()
                if org is None:
                    raise CommandError(f"no organisation with code {organisation_code}")
                target = Issuer.objects.create(
                    organisation=org, slug=issuer, name=name or org.name
                )
        key, secret, path = keys.key_generate(target, store=not print_only)
        vm = keys.verification_method_id(key)
        self.stdout.write(f"New key {vm}")
        self.stdout.write(f"Public key: {key.public_key_multibase}")
        if path is not None:
            self.stdout.write(
                f"Secret written to {path} (mode 600). Keep it out of backups of the code."
            )
        else:
            self.stdout.write(
                "Put this in the environment (merge with any keys already there):\n"
                f'CREDENTIAL_KEYS=\'{{"{target.slug}": {{"{key.key_id}": "{secret}"}}}}\''
            )
        self.stdout.write(
            "Earlier keys stay in the DID document, so credentials they signed still verify."
        )
