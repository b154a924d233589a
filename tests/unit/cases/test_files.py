"""Files a command names (佐证材料, photos): only files uploaded to the case, photos only images; uploads only while
the unit rectifies. Pure: the API looks the files up, the rules decide."""

import pytest

from services.cases import domain
from services.cases.commands import ReportProgress, RequestClosure
from shared.contracts.cases import ClosureRequested, Evidence, ProgressReported
from shared.contracts.codes import CaseStatus
from shared.errors import InvalidCommand, RuleViolation
from tests.unit.cases.builders import EVIDENCE, NOW, assign, open_case, request_closure, run

PHOTO = Evidence(description="拆除后的河岸", file_name="河岸.jpg", sha256="b" * 64)
REPORT = Evidence(description="整改报告", file_name="报告.pdf", sha256="c" * 64)
STORED = {PHOTO.sha256: "image/jpeg", REPORT.sha256: "application/pdf"}


def test_a_closure_naming_only_uploaded_files_is_requested_with_them() -> None:
    _, events = run(open_case(), assign(), request_closure())
    assert events[-1:] == [ClosureRequested(summary="设备已清理，河岸已复绿", evidence=[EVIDENCE])]


@pytest.mark.parametrize("uploaded", [{}, {REPORT.sha256: "application/pdf"}])
def test_a_closure_naming_a_file_not_uploaded_to_the_case_is_refused_at_that_item(uploaded: dict[str, str]) -> None:
    closure = RequestClosure(summary="已整改", evidence=(REPORT, EVIDENCE), now=NOW, uploaded=uploaded)
    with pytest.raises(InvalidCommand) as caught:
        run(open_case(), assign(), closure)
    first_unknown = EVIDENCE if uploaded else REPORT
    assert caught.value.field == f"evidence.{0 if not uploaded else 1}.sha256"
    assert first_unknown.file_name in caught.value.message and "不是本案件已上传的文件" in caught.value.message


def test_progress_carries_its_uploaded_photos() -> None:
    report = ReportProgress(note="已拆除", percent=40, photos=(PHOTO,), uploaded=STORED, now=NOW)
    _, events = run(open_case(), assign(), report)
    assert events[-1:] == [ProgressReported(note="已拆除", percent=40, photos=[PHOTO])]


@pytest.mark.parametrize(("photo", "why"), [(REPORT, "不是图片"), (EVIDENCE, "不是本案件已上传的文件")])
def test_a_progress_photo_must_be_an_image_uploaded_to_the_case(photo: Evidence, why: str) -> None:
    report = ReportProgress(note="已拆除", photos=(PHOTO, photo), uploaded=STORED, now=NOW)
    with pytest.raises(InvalidCommand) as caught:
        run(open_case(), assign(), report)
    assert caught.value.field == "photos.1.sha256" and why in caught.value.message


def test_progress_without_photos_needs_no_files() -> None:
    _, events = run(open_case(), assign(), ReportProgress(note="已拆除", now=NOW))
    assert events[-1:] == [ProgressReported(note="已拆除")]


def test_files_are_uploaded_only_while_the_case_is_being_rectified() -> None:
    domain.check_upload(CaseStatus.ASSIGNED)
    for status, code in (
        (CaseStatus.REPORTED, "not_assigned"),
        (CaseStatus.CLOSURE_REQUESTED, "closure_pending"),
        (CaseStatus.CLOSED, "case_closed"),
    ):
        with pytest.raises(RuleViolation) as caught:
            domain.check_upload(status)
        assert caught.value.code == code
