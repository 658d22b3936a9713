"""Issue 17 item 11: one language per page; Chinese punctuation after Chinese
labels; the styled 404 of a stopped share link; labels not doubled."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from cms.studios import services as studio_services
from cms.studios.models import Activity
from portfolios.models import ShareLink
from tests.factories import TeacherFactory
from tests.factories.courses import make_course, make_rubric
from training.courses.forms import QuizForm
from training.framework import term_label

pytestmark = pytest.mark.django_db


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


def test_terms_read_in_the_reader_language():
    assert term_label("2026秋") == "2026秋"
    with translation.override("en"):
        assert term_label("2026秋") == "Autumn 2026"
        assert term_label("2027春") == "Spring 2027"


def test_studio_activity_terms_are_english_in_english(client, district_tree):
    leader = TeacherFactory(school=district_tree["school_a1"])
    studio = studio_services.studio_create(
        title="测试工作室",
        kind="名师",
        leader=leader.user,
        region=district_tree["dist_a"],
        subject="数学",
    )
    start = timezone.make_aware(datetime.datetime(2027, 1, 10, 9))
    Activity.objects.create(
        studio=studio,
        title="一月的活动",
        kind="集体备课",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        hours=2,
    )
    english(client)
    html = client.get(studio.url).content.decode()
    # January belongs to the autumn term, as everywhere else on the site.
    assert "Autumn 2026: 1" in html
    assert "秋" not in html and "次" not in html.split("Autumn 2026")[1][:20]


def test_form_labels_end_with_a_full_width_colon(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "电子邮件：" in html or "邮箱：" in html, html
    assert "密码：" in html and "密码:" not in html
    signup = client.get(reverse("account_signup")).content.decode()
    assert "登录</a>。" in signup and "登录</a>." not in signup


def test_chinese_admin_names_every_model_in_chinese(client):
    admin = get_user_model().objects.create_superuser(
        "root", "root@example.com", "x-Strong-42"
    )
    client.force_login(admin)
    html = client.get("/django-admin/").content.decode()
    for english_name in ("Deletion requests", "Authenticators"):
        assert english_name not in html
    assert "数据删除申请" in html and "两步验证设备" in html
    assert client.get("/django-admin/accounts/twofactordevice/").status_code == 200


def test_multiple_choice_marked_once():
    from training.courses.models import QuizQuestion

    question = QuizQuestion(
        pk=1,
        prompt="哪些做法有助于看清差异？（多选）",
        options="甲\n乙\n丙",
        answer="AB",
    )
    plain = QuizQuestion(pk=2, prompt="哪些做法可行？", options="甲\n乙", answer="AB")
    form = QuizForm(questions=[question, plain])
    labels = [f.label for f in form.fields.values()]
    assert labels[0].count("（多选）") == 1
    assert labels[1].endswith("（多选）")


def test_completion_rules_have_no_trailing_separator(client):
    course = make_course(lessons=1, rubric=make_rubric())
    html = client.get(course.url).content.decode()
    rules = html.split('id="completion-rules">')[1].split("</ul>")[0]
    assert "；" not in rules  # separators come from the stylesheet, between items
    assert "<li>" in rules


def test_stopped_share_link_is_a_styled_404(client, district_tree):
    teacher = district_tree["teachers"]["SA1"][0]
    link = ShareLink.objects.create(
        teacher=teacher, sections=["profile"], revoked_at=timezone.now()
    )
    response = client.get(reverse("shared_portrait", args=[link.token]))
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="site-header"' in html and "分享链接已停用" in html
    english(client)
    html = client.get(reverse("shared_portrait", args=[link.token])).content.decode()
    assert "share link has been stopped" in html


def test_catalogue_filters_fold_on_phones(client):
    make_course()
    html = client.get("/courses/").content.decode()
    assert '<details class="more-filters"' in html
    assert html.index('id="q"') < html.index('<details class="more-filters"')


def test_catalogue_and_studio_index_are_titled(client):
    from cms.studios.services import ensure_index

    make_course()
    ensure_index()
    for url in ("/courses/", "/studios/"):
        html = client.get(url).content.decode()
        heading = html.split("<h1>")[1].split("</h1>")[0]
        assert heading.strip(), url
        assert "<title> ·" not in html
