"""credits.data is the ledger's public vocabulary: stdlib only, the same values
as the labelled model choices, and the values real code writes."""

import ast
import sys
from pathlib import Path

import credits.data as data
from credits.models import CreditCategory, LearningKind


def test_data_imports_only_the_standard_library():
    tree = ast.parse(Path(data.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


def test_labelled_choices_are_built_from_the_data_values():
    assert set(CreditCategory.values) == {c.value for c in data.CreditCategory}
    assert set(LearningKind.values) == {k.value for k in data.LearningKind}


def test_keys_are_stable():
    # Changing a key format would let a retry credit twice: these are contracts.
    assert data.course_completion_key(course_id=3, teacher_id=9) == (
        "course-completion:3:9"
    )
    assert data.studio_attendance_key(activity_id=4, teacher_id=9) == (
        "studio-activity:4:9"
    )
    assert data.recognition_key(request_id=5) == "recognition:5"
    assert data.reversal_key(record_id=6) == "reverse:6"
