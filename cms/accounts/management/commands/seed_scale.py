"""Build a district-scale dataset fast, for benchmarks: one province and city,
D districts, S schools, N teachers (bulk inserts), an HR user per district, a
city-level HR user and a platform admin. Idempotent; --reset starts over.

Everything it makes is marked: organisation codes start with SCALE-, staff
numbers with S, usernames with scale-, so it never mixes with demo data."""

import random
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from cms.accounts import scopecache
from cms.accounts.demo import GIVEN, SUBJECTS_BY_BAND, SURNAMES
from cms.accounts.models import (
    CareerStage,
    Organisation,
    OrganisationKind,
    ProfessionalTitle,
    Role,
    RoleAssignment,
    TeacherProfile,
    User,
)

BENCH_PASSWORD = "Bench@2026"  # noqa: S105 - benchmark data only
SUBJECTS = SUBJECTS_BY_BAND["初中"]
BANDS = list(SUBJECTS_BY_BAND)


class Command(BaseCommand):
    help = "Build a district-scale dataset for benchmarks (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--teachers", type=int, default=20000)
        parser.add_argument("--districts", type=int, default=10)
        parser.add_argument(
            "--schools",
            type=int,
            default=None,
            help="default: one school per 100 teachers",
        )
        parser.add_argument("--reset", action="store_true")

    def handle(self, *args, teachers, districts, schools, reset, **options):
        started = time.monotonic()
        schools = schools or max(1, teachers // 100)
        if reset:
            self._reset()
        existing = TeacherProfile.objects.filter(staff_number__startswith="S").count()
        if existing >= teachers:
            self.stdout.write(f"规模数据已存在（{existing} 位教师），未做改动。")
            return
        if existing:
            self._reset()
        with transaction.atomic():
            self._build(teachers=teachers, districts=districts, schools=schools)
        scopecache.teachers_changed()  # bulk writes: no signal
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # what autovacuum would do after a bulk load
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {teachers} 位教师、{schools} 所学校、{districts} 个区县，"
                f"用时 {time.monotonic() - started:.1f} 秒。"
            )
        )

    def _reset(self):
        with transaction.atomic():
            User.objects.filter(username__startswith="scale-").delete()
            root = Organisation.objects.filter(code="SCALE-P").first()
            if root is not None:
                TeacherProfile.objects.filter(
                    school__path__startswith=root.path
                ).delete()
                root.delete()

    def _build(self, *, teachers, districts, schools):
        rng = random.Random(2026)
        password = make_password(BENCH_PASSWORD)
        province = Organisation.add_root(
            name="规模测试省", kind=OrganisationKind.PROVINCE, code="SCALE-P"
        )
        city = province.add_child(
            name="规模测试市", kind=OrganisationKind.CITY, code="SCALE-C"
        )
        district_nodes = [
            city.add_child(
                name=f"规模测试第{d + 1}区",
                kind=OrganisationKind.DISTRICT,
                code=f"SCALE-D{d + 1:02d}",
            )
            for d in range(districts)
        ]
        school_nodes = [
            district_nodes[s % districts].add_child(
                name=f"规模测试第{s % districts + 1}区第{s // districts + 1}学校",
                kind=OrganisationKind.SCHOOL,
                code=f"SCALE-S{s + 1:04d}",
            )
            for s in range(schools)
        ]
        titles = list(ProfessionalTitle.values)
        stages = list(CareerStage.values)
        batch = 5000
        for start in range(0, teachers, batch):
            numbers = range(start, min(start + batch, teachers))
            users = User.objects.bulk_create(
                [
                    User(
                        username=f"scale-{n:07d}",
                        email=f"scale-{n:07d}@bench.example.com",
                        password=password,
                    )
                    for n in numbers
                ],
                batch_size=batch,
            )
            TeacherProfile.objects.bulk_create(
                [
                    TeacherProfile(
                        user=user,
                        real_name=rng.choice(SURNAMES)
                        + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                        staff_number=f"S{n:07d}",
                        school=school_nodes[n % schools],
                        subjects=[rng.choice(SUBJECTS)],
                        grade_bands=[rng.choice(BANDS)],
                        professional_title=rng.choice(titles),
                        career_stage=rng.choice(stages),
                    )
                    for user, n in zip(users, numbers, strict=True)
                ],
                batch_size=batch,
            )
            RoleAssignment.objects.bulk_create(
                [RoleAssignment(user=user, role=Role.TEACHER) for user in users],
                batch_size=batch,
            )
        staff = [
            ("scale-admin", Role.PLATFORM_ADMIN, None),
            ("scale-hr-city", Role.HR, city),
        ] + [
            (f"scale-hr-d{d + 1:02d}", Role.HR, node)
            for d, node in enumerate(district_nodes)
        ]
        for username, role, scope in staff:
            user = User.objects.create(
                username=username,
                email=f"{username}@bench.example.com",
                password=password,
                is_superuser=role == Role.PLATFORM_ADMIN,
                is_staff=role == Role.PLATFORM_ADMIN,
            )
            RoleAssignment.objects.create(user=user, role=role, organisation=scope)
