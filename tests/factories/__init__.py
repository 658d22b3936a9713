"""factory_boy factories for people and organisations."""

import factory
from allauth.account.models import EmailAddress

from cms.accounts.models import (
    Organisation,
    OrganisationKind,
    Role,
    RoleAssignment,
    TeacherProfile,
    User,
)

PASSWORD = "Correct-Horse-42"


class OrganisationFactory(factory.django.DjangoModelFactory):
    """Pass `parent=` to place the node; without it the node is a new root."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"测试学校{n}")
    kind = OrganisationKind.SCHOOL
    code = factory.Sequence(lambda n: f"ORG{n:05d}")

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        if parent is None:
            return model_class.add_root(**kwargs)
        return parent.add_child(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            EmailAddress.objects.create(
                user=obj, email=obj.email, verified=True, primary=True
            )


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeacherProfile

    user = factory.SubFactory(UserFactory)
    real_name = factory.Sequence(lambda n: f"教师{n}")
    staff_number = factory.Sequence(lambda n: f"T{n:06d}")
    school = factory.SubFactory(OrganisationFactory)
    subjects = factory.LazyFunction(lambda: ["数学"])
    grade_bands = factory.LazyFunction(lambda: ["初中"])


def grant(user, role: str, organisation=None) -> User:
    RoleAssignment.objects.create(user=user, role=role, organisation=organisation)
    return user


def hr_user(organisation) -> User:
    return grant(UserFactory(), Role.HR, organisation)
