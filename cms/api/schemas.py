"""Request and response shapes of /api/v1/ (they make the OpenAPI document)."""

from __future__ import annotations

import datetime
from typing import Annotated

from ninja import Field, Schema

# Text without NUL characters (PostgreSQL cannot store them).
Text = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]
ShortText = Annotated[str, Field(max_length=64, pattern=r"^[^\x00]*$")]
StaffNumber = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9-]{1,32}$", description="工号", examples=["T000123"]),
]


class Error(Schema):
    detail: str = Field(description="中文说明")
    errors: list[RowError] | None = Field(
        None, description="批量写入时逐行的错误（行号从 1 起，对应请求中的顺序）"
    )


class RowError(Schema):
    row: int
    message: str


Error.model_rebuild()


class OAuthError(Schema):
    error: str = Field(description="RFC 6749 错误代码，如 invalid_client")
    error_description: str


class TokenOut(Schema):
    access_token: str
    token_type: str = Field(examples=["Bearer"])
    expires_in: int = Field(description="有效秒数")
    scope: str = Field(description="以空格分隔的权限范围")


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str = Field(
        description="province / city / district / school / centre / other"
    )
    code: str | None
    parent_id: int | None


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None = Field(description="下一页的游标；为 null 表示已到末尾")


class SchoolRef(Schema):
    id: int
    name: str
    code: str | None


class TeacherOut(Schema):
    id: int
    staff_number: str
    real_name: str
    email: str
    school: SchoolRef
    subjects: list[str]
    grade_bands: list[str]
    professional_title: str
    career_stage: str
    national_id_masked: str = Field(description="身份证号仅显示后四位")
    updated_at: datetime.datetime


class TeacherPage(Schema):
    items: list[TeacherOut]
    next_cursor: str | None


class TeacherIn(Schema):
    real_name: ShortText = Field(description="姓名")
    staff_number: ShortText = Field(description="工号（字母、数字和连字符）")
    school: ShortText = Field(description="学校名称或机构代码")
    email: Text = ""
    subjects: list[ShortText] = Field(default_factory=list, max_length=20)
    grade_bands: list[ShortText] = Field(default_factory=list, max_length=10)
    professional_title: ShortText = ""
    career_stage: ShortText = ""
    national_id: Annotated[str, Field(max_length=20, pattern=r"^[^\x00]*$")] = Field(
        "", description="身份证号；只保存加密散列和后四位"
    )


class TeacherBatchIn(Schema):
    teachers: list[TeacherIn] = Field(min_length=1, max_length=2000)


class TeacherBatchOut(Schema):
    import_id: int
    created: int
    updated: int
    unchanged: int


class CreditRecordOut(Schema):
    record_id: str = Field(description="记录的全局编号（交换与同步的主键）")
    seq: int = Field(description="账本序号，单调递增")
    teacher_staff_number: str
    kind: str
    category: str
    source_type: str
    source_id: str
    title: str
    raw_hours: str
    hours: str
    credits: str
    earned_on: datetime.date
    recorded_at: datetime.datetime
    reverses: str | None = Field(description="冲销记录所冲销的记录编号")
    note: str
    hash: str = Field(description="账本哈希链上本记录的哈希")


class CreditRecordPage(Schema):
    items: list[CreditRecordOut]
    next_cursor: str | None


class CreditAppendIn(Schema):
    provider_record_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,60}$")] = (
        Field(description="培训机构自己的记录编号；重复提交同一编号不会产生第二条记录")
    )
    teacher_staff_number: StaffNumber
    kind: str = Field(description="学习类型，须在本机构登记的范围内")
    category: str = Field(description="学分类别，如 通识、学科、信息技术应用")
    title: Text = Field(description="学习内容")
    hours: Annotated[float, Field(gt=0, le=500)] = Field(description="学时")
    earned_on: datetime.date


class CreditAppendOut(Schema):
    created: bool
    record: CreditRecordOut


class TranscriptOut(Schema):
    type: str
    code: str
    verify: str
    teacher: dict
    cycle: dict
    totals: dict
    records: list[dict]
    issuedAt: str


class CredentialOut(Schema):
    id: str = Field(description="证书编号（urn:uuid:…）")
    uid: str
    kind: str = Field(description="badge（单项证书）或 clr（学时证明）")
    name: str
    teacher_staff_number: str
    record_id: str | None
    issued_at: datetime.datetime
    revoked_at: datetime.datetime | None
    revoke_reason: str


class CredentialDetail(CredentialOut):
    document: dict = Field(description="签名的可验证凭证（JSON-LD）")


class CredentialPage(Schema):
    items: list[CredentialOut]
    next_cursor: str | None


class RevokeIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


class CourseOut(Schema):
    id: int
    title: str
    slug: str
    url: str
    summary: str
    mode: str
    hours: str
    category: str
    subject: str
    grade_band: str
    provider: str
    enrol_opens: datetime.date | None
    enrol_closes: datetime.date | None
    capacity: int | None
    updated_at: datetime.datetime | None


class CoursePage(Schema):
    items: list[CourseOut]
    next_cursor: str | None


class EnrolmentOut(Schema):
    id: int
    course_id: int
    teacher_staff_number: str
    status: str
    enrolled_at: datetime.datetime
    completed_at: datetime.datetime | None
    lessons_done: int


class EnrolmentPage(Schema):
    items: list[EnrolmentOut]
    next_cursor: str | None


class EnrolmentIn(Schema):
    course_id: Annotated[int, Field(ge=1, le=2**62)]
    teacher_staff_number: StaffNumber


class LevelRow(Schema):
    code: str
    name: str
    levels: list[int] = Field(description="水平 1 至 5 的人数")


class SchoolLevels(Schema):
    name: str
    count: int
    hidden: bool = Field(description="少于 5 人的学校不公布分布")
    table: list[LevelRow] | None = None


class AssessmentAggregate(Schema):
    total: int
    hidden: bool
    min_group_size: int
    withheld_schools: int
    table: list[LevelRow]
    schools: list[SchoolLevels]


class WebhookIn(Schema):
    url: Annotated[str, Field(max_length=400, pattern=r"^https?://[^\s\x00]+$")]
    events: list[str] = Field(min_length=1, max_length=4)


class WebhookOut(Schema):
    id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="签名密钥，只在创建时显示一次")


class WebhookList(Schema):
    items: list[WebhookOut]
