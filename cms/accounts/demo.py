"""The people of the demo district: organisations, teachers, HR, trainers.

Called by `manage.py seed_demo` (cms/management/commands/seed_demo.py)."""

import random

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction

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

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - demo data only, printed for the user
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "文静丽敏华军伟芳娜秀英杰涛明超勇艳霞平刚桂兰玉梅志强建国红霞"
    "春燕晓东海燕小红雪梅丹宇浩然子涵欣怡思远梓萱俊熙雨桐一诺佳怡"
    "嘉怡博文天佑若曦诗涵宏伟立新永刚淑珍"
)
SCHOOLS = [
    (
        "东湖区",
        "DH",
        [
            ("临江市东湖区实验小学", ["小学"]),
            ("临江市东湖区第一中学", ["初中", "高中"]),
            ("临江市东湖区育才初级中学", ["初中"]),
        ],
    ),
    (
        "西山区",
        "XS",
        [
            ("临江市西山区中心小学", ["小学"]),
            ("临江市西山区第二中学", ["初中", "高中"]),
            ("临江市西山区外国语学校", ["小学", "初中"]),
        ],
    ),
]
SUBJECTS_BY_BAND = {
    "小学": [
        "语文",
        "数学",
        "英语",
        "科学",
        "道德与法治",
        "音乐",
        "美术",
        "体育与健康",
        "信息科技",
    ],
    "初中": [
        "语文",
        "数学",
        "英语",
        "物理",
        "化学",
        "生物",
        "历史",
        "地理",
        "道德与法治",
        "信息科技",
    ],
    "高中": [
        "语文",
        "数学",
        "英语",
        "物理",
        "化学",
        "生物",
        "历史",
        "地理",
        "信息科技",
    ],
}
TITLE_WEIGHTS = [
    (ProfessionalTitle.NONE, 1),
    (ProfessionalTitle.SECOND, 4),
    (ProfessionalTitle.FIRST, 4),
    (ProfessionalTitle.SENIOR, 2),
    (ProfessionalTitle.PROFESSOR, 0.2),
]
TEACHERS_PER_SCHOOL = 50


def _node(parent, *, name, kind, code):
    existing = Organisation.objects.filter(code=code).first()
    if existing:
        return existing
    if parent is None:
        return Organisation.add_root(name=name, kind=kind, code=code)
    return parent.add_child(name=name, kind=kind, code=code)


class DemoPeople:
    """Builds the demo district and returns the logins to print."""

    def __init__(self, stdout):
        self.stdout = stdout

    @transaction.atomic
    def build(self) -> list[tuple[str, str]]:
        rng = random.Random(20260901)  # deterministic: the same names every time
        password = make_password(DEMO_PASSWORD)
        province = _node(
            None, name="江南省", kind=OrganisationKind.PROVINCE, code="DEMO-P"
        )
        city = _node(province, name="临江市", kind=OrganisationKind.CITY, code="DEMO-C")
        logins = []
        created = 0

        def account(email, name, *, staff=False, superuser=False):
            user, made = User.objects.get_or_create(
                username=email.split("@")[0],
                defaults={
                    "email": email,
                    "first_name": name,
                    "password": password,
                    "is_staff": staff,
                    "is_superuser": superuser,
                },
            )
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            return user

        admin = account("admin@example.com", "平台管理员", staff=True, superuser=True)
        RoleAssignment.objects.get_or_create(
            user=admin, role=Role.PLATFORM_ADMIN, organisation=None
        )
        logins.append(("平台管理员", "admin@example.com"))

        demo_teacher_user = None
        for d_index, (district_name, prefix, schools) in enumerate(SCHOOLS, start=1):
            district = _node(
                city,
                name=f"临江市{district_name}",
                kind=OrganisationKind.DISTRICT,
                code=f"DEMO-{prefix}",
            )
            hr = account(
                f"hr.{prefix.lower()}@example.com", f"{district_name}教师发展中心"
            )
            RoleAssignment.objects.get_or_create(
                user=hr, role=Role.HR, organisation=district
            )
            logins.append((f"区人事管理员（{district_name}）", hr.email))
            for s_index, (school_name, bands) in enumerate(schools, start=1):
                school = _node(
                    district,
                    name=school_name,
                    kind=OrganisationKind.SCHOOL,
                    code=f"DEMO-{prefix}-{s_index:02d}",
                )
                if d_index == 1 and s_index == 1:
                    school_hr = account("hr.school@example.com", "实验小学人事干事")
                    RoleAssignment.objects.get_or_create(
                        user=school_hr, role=Role.HR, organisation=school
                    )
                    logins.append((f"学校人事管理员（{school_name}）", school_hr.email))
                created += self._teachers(school, bands, prefix, s_index, rng, password)
                if demo_teacher_user is None:
                    demo_teacher_user = TeacherProfile.objects.get(
                        staff_number=f"{prefix}{s_index:02d}001"
                    ).user

        logins.append(("教师", demo_teacher_user.email))
        trainer = account("trainer@example.com", "培训者")
        RoleAssignment.objects.get_or_create(
            user=trainer, role=Role.TRAINER, organisation=city
        )
        logins.append(("培训者", trainer.email))
        leader_profile = TeacherProfile.objects.get(staff_number="DH02001")
        RoleAssignment.objects.get_or_create(
            user=leader_profile.user,
            role=Role.STUDIO_LEADER,
            organisation=leader_profile.school,
        )
        logins.append(("工作室主持人", leader_profile.user.email))

        total = TeacherProfile.objects.filter(
            school__path__startswith=city.path
        ).count()
        done = f"演示数据已就绪（本次新增教师 {created} 位，共 {total} 位）。"
        self.stdout.write(done)
        return logins

    def _teachers(self, school, bands, prefix, s_index, rng, password) -> int:
        existing = set(
            TeacherProfile.objects.filter(school=school).values_list(
                "staff_number", flat=True
            )
        )
        people = []
        for n in range(1, TEACHERS_PER_SCHOOL + 1):
            staff = f"{prefix}{s_index:02d}{n:03d}"
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
            )
            band = rng.choice(bands)
            subjects = [rng.choice(SUBJECTS_BY_BAND[band])]
            title = rng.choices(
                [t for t, _ in TITLE_WEIGHTS], [w for _, w in TITLE_WEIGHTS]
            )[0]
            stage = rng.choice(list(CareerStage.values))
            if staff not in existing:
                people.append((staff, name, band, subjects, title, stage))
        if not people:
            return 0
        users = User.objects.bulk_create(
            [
                User(
                    username=f"t{staff.lower()}",
                    email=f"t{staff.lower()}@example.com",
                    first_name=name,
                    password=password,
                )
                for staff, name, *_ in people
            ]
        )
        TeacherProfile.objects.bulk_create(
            [
                TeacherProfile(
                    user=user,
                    real_name=name,
                    staff_number=staff,
                    school=school,
                    subjects=subjects,
                    grade_bands=[band],
                    professional_title=title,
                    career_stage=stage,
                )
                for user, (staff, name, band, subjects, title, stage) in zip(
                    users, people, strict=True
                )
            ]
        )
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=Role.TEACHER) for user in users],
            ignore_conflicts=True,
        )
        from cms.accounts import scopecache

        scopecache.teachers_changed()  # bulk writes: no signal
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=u, email=u.email, verified=True, primary=True)
                for u in users
            ],
            ignore_conflicts=True,
        )
        return len(users)
