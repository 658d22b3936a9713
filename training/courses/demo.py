"""Demo catalogue: courses aligned to JY/T 0646 indicators, with lessons, a
quiz, an assignment graded with a rubric and a blended session, so the whole
learning loop can be tried. Running it again changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from cms.accounts.models import TeacherProfile, User
from training.framework import FRAMEWORK_CODE
from training.selectors import competencies

from . import services
from .models import (
    CourseLesson,
    CoursePage,
    CourseSession,
    QuizQuestion,
    Rubric,
    RubricCriterion,
)

# title, summary, indicator codes, mode, hours, category, subject, stage, lessons
DEMO_COURSES = [
    (
        "数据驱动的精准教学",
        "用课堂练习与作业数据做学情分析，找到每个学生的卡点，据此调整教学。",
        ["3.1.1", "3.3.1", "3.3.2", "3.3.3"],
        "online",
        "12",
        "信息技术应用",
        "",
        "",
        [
            "学情数据从哪里来",
            "用电子表格做成绩分析",
            "把分析结果画成图",
            "据数据调整教学",
        ],
    ),
    (
        "数字化教学设计与实施",
        "从教学目标出发设计数字化教学活动，创设线上线下混合的学习环境。",
        ["3.1.3", "3.1.4", "3.2.1", "3.2.2"],
        "blended",
        "16",
        "信息技术应用",
        "",
        "成长",
        ["数字化教学活动的设计要点", "混合学习环境的搭建", "课堂组织与管理工具"],
    ),
    (
        "教师数字安全与个人信息保护",
        "工作数据的存储与分享、学生个人信息的保护、常见网络诈骗的识别。",
        ["4.2.1", "4.2.2", "4.2.3"],
        "online",
        "6",
        "通识",
        "",
        "",
        ["个人信息和隐私", "工作数据安全", "网络安全防护"],
    ),
    (
        "人工智能助力语文阅读教学",
        "用生成式人工智能辅助备课、设计阅读任务，并守住学术诚信的边界。",
        ["2.1.1", "2.2.1", "3.2.3"],
        "online",
        "10",
        "学科",
        "语文",
        "骨干",
        ["常见人工智能工具的原理", "用人工智能设计阅读任务", "个性化阅读指导"],
    ),
    (
        "数字技术支持下的心理健康教育",
        "利用数字资源开展心理健康教育，家校协同关注学生成长。",
        ["3.4.2", "3.4.3"],
        "offline",
        "8",
        "心理健康",
        "心理健康",
        "",
        ["数字资源中的心理健康教育", "家校沟通平台的使用"],
    ),
    (
        "网络研修与教学反思",
        "参与和主持网络研修，用课堂录像与数据支持教学反思。",
        ["5.1.1", "5.1.2", "5.1.3"],
        "online",
        "8",
        "通识",
        "",
        "新任",
        ["网络研修的组织方式", "用课堂录像做反思"],
    ),
]

QUIZ = [
    (
        "下列哪种数据最适合用来判断学生对某个知识点的掌握情况？",
        "学生的出勤记录\n与该知识点对应的练习得分\n学生的座位号\n家长的职业",
        "B",
    ),
    (
        "做成绩分析时，哪些做法有助于看清学生之间的差异？",
        "计算每道题的得分率\n画出分数分布图\n只看全班平均分\n按知识点汇总错题",
        "ABD",
    ),
    (
        "分享含有学生成绩的表格时，应当：",
        "发到公开的群里方便大家查看\n去掉姓名等身份信息或只发给有权查看的人\n打印出来贴在教室\n上传到个人网盘并公开链接",
        "B",
    ),
]


def _indicators(codes):
    return competencies(framework_code=FRAMEWORK_CODE, codes=codes)


def _rubric() -> Rubric:
    rubric = Rubric.objects.filter(title="数字化教学设计评分量规").first()
    if rubric is not None:
        return rubric
    rubric = Rubric(
        title="数字化教学设计评分量规",
        description="用于课程作业：一份运用数据或数字资源的教学设计。",
        pass_percent=60,
    )
    rubric.save()
    by_code = {c.code: c for c in _indicators(["3.1.1", "3.1.3", "3.3.2"])}
    for order, (title, code, points, guidance) in enumerate(
        [
            ("学情分析", "3.1.1", 10, "用数据说明学生的起点与难点。"),
            ("活动设计", "3.1.3", 10, "数字化活动服务于目标，步骤清楚可操作。"),
            ("数据应用", "3.3.2", 10, "说明如何收集并分析学业数据来改进教学。"),
        ]
    ):
        RubricCriterion.objects.create(
            rubric=rubric,
            sort_order=order,
            title=title,
            indicator=by_code.get(code),
            max_points=points,
            guidance=guidance,
        )
    return rubric


def seed_courses() -> str:
    index = services.catalogue_ensure()
    if CoursePage.objects.exists():
        if _video_course(index):
            return "课程目录已存在；新增视频微课 1 门。"
        return "课程目录已存在，未做改动。"
    trainer = User.objects.filter(email="trainer@example.com").first()
    rubric = _rubric()
    today = timezone.localdate()
    made = []
    for number, (
        title,
        summary,
        codes,
        mode,
        hours,
        category,
        subject,
        stage,
        lessons,
    ) in enumerate(DEMO_COURSES):
        first = number == 0
        course = CoursePage(
            title=title,
            slug=f"course-{number + 1}",
            summary=summary,
            body=[
                (
                    "text",
                    f"<p>{summary}</p><p>本课程对标《教师数字素养》相关指标，"
                    "学完全部课时并达到考核要求即可结业，学时自动记入学分银行。</p>",
                )
            ],
            mode=mode,
            hours=Decimal(hours),
            category=category,
            subject=subject,
            career_stage=stage,
            provider="临江市教师发展中心",
            enrol_opens=today - datetime.timedelta(days=30),
            enrol_closes=today + datetime.timedelta(days=120),
            require_lessons=True,
            require_quiz=first,
            quiz_pass_percent=60,
            require_assignment=first,
            assignment_brief=(
                "<p>提交一份运用数据开展学情分析的教学设计（一课时），"
                "说明数据来源、分析方法和据此做出的教学调整。</p>"
            )
            if first
            else "",
            rubric=rubric if first else None,
            min_sessions=1 if mode in ("blended", "offline") else 0,
        )
        for order, lesson_title in enumerate(lessons):
            course.lessons.add(
                CourseLesson(
                    sort_order=order,
                    module="第一模块" if order < 2 else "第二模块",
                    title=lesson_title,
                    kind="text",
                    body=f"<p>{lesson_title}：阅读本课时材料，并结合自己的课堂思考一个可以尝试的做法。</p>",
                )
            )
        if first:
            for order, (prompt, options, answer) in enumerate(QUIZ):
                course.questions.add(
                    QuizQuestion(
                        sort_order=order, prompt=prompt, options=options, answer=answer
                    )
                )
        if course.min_sessions:
            start = timezone.now().replace(minute=0, second=0, microsecond=0)
            course.sessions.add(
                CourseSession(
                    sort_order=0,
                    title="集中研讨",
                    starts_at=start,
                    ends_at=start + datetime.timedelta(hours=3),
                    place="临江市教师发展中心 201 室",
                    capacity=60,
                )
            )
        index.add_child(instance=course)
        course.indicators.set(_indicators(codes))
        if trainer is not None:
            course.trainers.set([trainer])
        course.save_revision().publish()
        made.append(course)
    teacher = TeacherProfile.objects.filter(staff_number="DH01001").first()
    if teacher is not None:
        enrolment = services.course_enrol(course=made[2], teacher=teacher)
        services.lesson_complete(enrolment=enrolment, lesson=made[2].lessons.first())
    completed = _complete_some(made, started=teacher)
    _video_course(index)
    return f"课程目录：新增 {len(made) + 1} 门课程，{completed} 人次学完结业。"


def _complete_some(courses, *, started) -> int:
    """Demo teachers who learnt the online, lessons-only courses, through the
    same services as a teacher clicking through them: completion credits the
    ledger under the course's key (credits.data)."""
    import random

    rng = random.Random(7)
    simple = [
        c
        for c in courses
        if c.mode == "online" and not (c.require_quiz or c.require_assignment)
    ]
    teachers = TeacherProfile.objects.filter(
        staff_number__regex=r"^(DH|XS)\d+$"
    ).order_by("staff_number")
    count = 0
    for teacher in teachers:
        for course in rng.sample(simple, k=rng.randint(0, 2)):
            if teacher == started and course == courses[2]:
                continue  # her course in progress
            enrolment = services.course_enrol(course=course, teacher=teacher)
            for lesson in course.lessons.all():
                services.lesson_complete(enrolment=enrolment, lesson=lesson)
            count += 1
    return count


VIDEO_FILE = Path(__file__).resolve().parent / "demo_media" / "demo-lesson.webm"
VIDEO_SLUG = "course-video-micro"


def _video_course(index) -> bool:
    """A one-hour micro-course whose lesson is a 30-second video, so the
    no-skip rule can be tried: seeking ahead does not count, watching to the
    threshold completes the lesson. (The clip was recorded from a canvas in
    headless Chromium with MediaRecorder, VP8 WebM, 100 KB.) Added once."""
    from django.core.files import File
    from wagtail.documents.models import Document

    if CoursePage.objects.filter(slug=VIDEO_SLUG).exists():
        return False
    with VIDEO_FILE.open("rb") as handle:
        video = Document(title="微课视频：学情数据从哪里来")
        video.file.save("demo-lesson.webm", File(handle), save=True)
    today = timezone.localdate()
    course = CoursePage(
        title="微课：学情数据从哪里来（视频）",
        slug=VIDEO_SLUG,
        summary="一节 30 秒的演示视频课：看完视频即完成课时，拖动进度条跳过的部分不计入。",
        body=[
            (
                "text",
                "<p>视频课时须观看到课程设定的比例才算完成；"
                "向前拖动进度条跳过的部分不计入观看时长。</p>",
            )
        ],
        mode="online",
        hours=Decimal("1"),
        category="信息技术应用",
        provider="临江市教师发展中心",
        enrol_opens=today - datetime.timedelta(days=30),
        enrol_closes=today + datetime.timedelta(days=120),
        require_lessons=True,
        video_threshold=90,
    )
    course.lessons.add(
        CourseLesson(
            sort_order=0,
            title="学情数据从哪里来（视频）",
            kind="video",
            video=video,
            duration_seconds=30,
        )
    )
    index.add_child(instance=course)
    course.indicators.set(_indicators(["3.1.1", "3.3.1"]))
    trainer = User.objects.filter(email="trainer@example.com").first()
    if trainer is not None:
        course.trainers.set([trainer])
    course.save_revision().publish()
    return True
