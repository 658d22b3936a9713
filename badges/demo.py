"""Achievement definitions for the demo activities, aligned to JY/T 0646
indicators, so demo credentials carry their alignment."""

from decimal import Decimal

from training.models import Competency

from .models import AchievementDefinition

# (source_type, source_id, slug, name, description, criteria, type, hours, indicators)
# source ids follow credits.demo.ACTIVITIES.
DEMO_ACHIEVEMENTS = [
    (
        "training.course",
        "0",
        "demo-ai-classroom",
        "人工智能助力课堂教学",
        "认识生成式人工智能等常见数字技术，在课堂教学设计与组织中合理使用。",
        "完成全部 12 学时课程学习并提交一份融入人工智能工具的教学设计。",
        "Course",
        12,
        ["2.1.1", "3.1.3", "3.2.2"],
    ),
    (
        "training.course",
        "1",
        "demo-unit-design",
        "大单元教学设计与实施",
        "以大单元为组织方式，利用数字资源完成学情分析与教学活动设计。",
        "完成 16 学时课程并通过单元设计作业评审。",
        "Course",
        16,
        ["3.1.1", "3.1.3"],
    ),
    (
        "training.session",
        "2",
        "demo-ethics",
        "新时代师德师风专题培训",
        "师德规范与数字社会责任专题培训。",
        "参加全部 8 学时线下培训并签到。",
        "Course",
        8,
        ["4.1.1", "4.1.3"],
    ),
    (
        "studio.activity",
        "3",
        "demo-studio-homework",
        "名师工作室集体备课：作业设计",
        "在名师工作室中开展基于数据的作业设计集体备课。",
        "参加集体备课并提交个人作业设计方案。",
        "ext:StudioActivity",
        4,
        ["5.1.3", "3.3.1"],
    ),
    (
        "school.training",
        "4",
        "demo-observation",
        "校本研修：课堂观察与评议",
        "运用数字化课堂观察工具开展听评课。",
        "完成两次课堂观察记录与评议。",
        "LearningProgram",
        6,
        ["5.1.2", "5.2.1"],
    ),
    (
        "training.course",
        "5",
        "demo-mental-health",
        "中小学生心理健康教育实务",
        "利用数字技术资源开展学生心理健康教育。",
        "完成 10 学时课程并通过测验。",
        "Course",
        10,
        ["3.4.2"],
    ),
    (
        "training.course",
        "6",
        "demo-smart-edu",
        "国家智慧教育平台资源应用",
        "选择与使用国家中小学智慧教育平台的数字教育资源。",
        "完成 8 学时课程并提交一份资源应用案例。",
        "Course",
        8,
        ["2.2.1", "2.2.2", "3.1.2"],
    ),
]


def seed_achievements() -> str:
    made = 0
    for (
        source_type,
        source_id,
        slug,
        name,
        description,
        criteria,
        kind,
        hours,
        codes,
    ) in DEMO_ACHIEVEMENTS:
        definition, created = AchievementDefinition.objects.get_or_create(
            source_type=source_type,
            source_id=source_id,
            defaults={
                "slug": slug,
                "name": name,
                "description": description,
                "criteria": criteria,
                "achievement_type": kind,
                "credits_available": Decimal(hours),
            },
        )
        if created:
            definition.competencies.set(
                Competency.objects.filter(
                    code__in=codes, framework__code="jyt0646-2022"
                )
            )
            made += 1
    return f"成就定义新增 {made} 项。" if made else "成就定义已存在，未做改动。"
