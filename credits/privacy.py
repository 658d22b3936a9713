"""Personal data held by the credit bank. The ledger is never erased: its
records, transcripts and yearly totals stay (the record of public training
obligations, hash-chained), pointing at a profile whose identifying fields are
replaced (see cms.accounts.privacy). Recognition requests lose their evidence
files; those not approved are deleted, and so are the credentials from
elsewhere behind them (one behind an approved request loses its document)."""

from __future__ import annotations

from cms.shared.personal_data import (
    PersonalDataHook,
    delete_with_files,
    files_delete_on_commit,
    linked_rows,
    register,
)

from .models import (
    CreditRecord,
    CreditYearTotal,
    ExportJob,
    OutsideCredential,
    RecognitionRequest,
    Transcript,
)

LEDGER_KEPT = "the append-only ledger and what is derived from it are kept; her identifying fields on her profile are replaced"


def export_person(teacher, writer) -> None:
    for model in (
        CreditRecord,
        Transcript,
        CreditYearTotal,
        ExportJob,
        OutsideCredential,
    ):
        writer.rows(linked_rows(model, teacher))
    requests = linked_rows(RecognitionRequest, teacher)
    writer.rows(requests)
    writer.files(
        requests.filter(teacher=teacher), "evidence", name_field="evidence_name"
    )


def erase_person(teacher) -> None:
    mine = RecognitionRequest.objects.filter(teacher=teacher)
    approved = RecognitionRequest.Status.APPROVED
    delete_with_files(mine.exclude(status=approved), "evidence")
    files_delete_on_commit(mine, "evidence")
    mine.update(evidence="", evidence_name="")
    # Credentials from elsewhere: gone with their requests; behind an approved
    # one the row stays without the document (which names her).
    brought = OutsideCredential.objects.filter(teacher=teacher)
    brought.filter(requests__isnull=True).delete()
    brought.update(document={}, verification={}, name="")


register(
    PersonalDataHook(
        app="credits",
        export=export_person,
        erase=erase_person,
        erased=(),
        kept={
            "credits.creditrecord.teacher": LEDGER_KEPT,
            "credits.creditrecord.recorded_by": LEDGER_KEPT,
            "credits.transcript.teacher": LEDGER_KEPT,
            "credits.transcript.issued_by": LEDGER_KEPT,
            "credits.credityeartotal.teacher": LEDGER_KEPT,
            "credits.recognitionrequest.teacher": "an approved request is the "
            "basis of a ledger record: the row stays, its evidence file and title "
            "are erased; requests not approved are deleted",
            "credits.recognitionrequest.reviewer": "decisions she made on other "
            "teachers' requests",
            "credits.exportjob.created_by": "bulk exports an administrator made "
            "about other teachers",
            "credits.outsidecredential.teacher": "a credential from elsewhere "
            "behind an approved request stays (without its document) so the same "
            "credential is never counted twice; the others are deleted",
        },
    )
)
