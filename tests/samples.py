"""What officials submit at each step of the library's procedures, and the paths they walk.

Shared by the in-memory path tests (tests/workflows), the engine tests and the API tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest


def examine_supplement():
    return {"outcome": "supplement", "reason": "Thiếu giấy tờ theo quy định.",
            "missing_documents": [{"name": "Giấy tờ cần bổ sung", "copy_type": "copy", "quantity": 1}]}


def examine_refuse(reason):
    return {"outcome": "refuse", "reason": reason}


SUPPLEMENT_RECEIVED = {"supplemented_at": "2026-03-03T09:30:00+07:00", "channel": "counter",
                       "documents_received": ["Giấy tờ cần bổ sung"]}


def supplement_received(at) -> dict:
    """The desk's form when the citizen's supplement arrived at `at` (the clock resumes then)."""
    return {**SUPPLEMENT_RECEIVED, "supplemented_at": at.isoformat()}
SIGN_APPROVE = {"outcome": "approve", "signature_kind": "digital"}
SIGN_SEND_BACK = {"outcome": "send_back", "reason": "Sửa lại nội dung dự thảo cho khớp hồ sơ."}
RETURN_COUNTER = {"delivery": "counter", "returned_to": "Nguyễn Văn An"}
RETURN_POSTAL = {"delivery": "postal", "postal_tracking": "EB123456789VN", "note": "Gửi theo địa chỉ trong tờ khai"}
RETURN_ONLINE = {"delivery": "online"}

HH_APPROVE = {
    "outcome": "approve",
    "business_name": "Hộ kinh doanh Tạp hóa Bình An",
    "name_checked": True,
    "owner_name": "Trần Thị Bình",
    "owner_id_number": "031190001234",
    "business_address": "Số 12, thôn Đông, xã Gia Lộc, thành phố Hải Phòng",
    "business_lines": [{"code": "4711", "name": "Bán lẻ lương thực, thực phẩm trong cửa hàng kinh doanh tổng hợp"}],
    "capital": 150000000,
    "employees": 2,
}
HH_ISSUE = {"registration_number": "8012345678", "issued_on": "2026-03-04", "register_entry": "25/ĐKHKD",
            "sealed": True}

BR_APPROVE = {
    "outcome": "approve",
    "child": {"full_name": "Phạm Minh Khang", "sex": "male", "date_of_birth": "2026-02-20",
              "place_of_birth": "Bệnh viện Phụ sản Hải Phòng, phường Lê Chân, thành phố Hải Phòng",
              "hometown": "xã Gia Lộc, thành phố Hải Phòng", "ethnicity": "Kinh", "nationality": "Việt Nam",
              "personal_id_number": "031226001234"},
    "mother": {"full_name": "Lê Thu Hà", "birth_year": 1996, "ethnicity": "Kinh", "nationality": "Việt Nam",
               "residence": "thôn Đông, xã Gia Lộc, thành phố Hải Phòng", "personal_id_number": "031196004321"},
    "father": {"full_name": "Phạm Văn Minh", "birth_year": 1994, "ethnicity": "Kinh", "nationality": "Việt Nam",
               "residence": "thôn Đông, xã Gia Lộc, thành phố Hải Phòng", "personal_id_number": "031094005678"},
    "declarant": {"full_name": "Phạm Văn Minh", "id_number": "031094005678", "relationship": "father"},
    "birth_evidence": "birth_certificate",
    "registration": {"book": "01/2026", "entry_number": "57", "registered_on": "2026-03-02"},
}


@dataclass(frozen=True)
class Procedure:
    slug: str
    process_id: str
    approve: dict          # the specialist's data when the dossier is good
    issue: tuple = ()      # steps between the leader's signature and the return, if any


HOUSEHOLD = Procedure("household-business", "household_business", HH_APPROVE, (("clerk", "issue", HH_ISSUE),))
BIRTH = Procedure("birth-registration", "birth_registration", BR_APPROVE)
PROCEDURES = [HOUSEHOLD, BIRTH]


def paths(p: Procedure) -> dict[str, tuple[list[tuple[str, str, dict]], str]]:
    """Each path: the (lane, task id, submitted data) steps in order and the end status."""
    examine = ("specialist", "examine", p.approve)
    sign = ("leader", "sign", SIGN_APPROVE)
    after_sign = [*p.issue]
    return {
        "happy": ([examine, sign, *after_sign, ("reception", "return_result", RETURN_COUNTER)], "returned"),
        "supplement_then_approve": ([
            ("specialist", "examine", examine_supplement()),
            ("reception", "wait_supplement", SUPPLEMENT_RECEIVED),
            examine, sign, *after_sign,
            ("reception", "return_result", RETURN_POSTAL),
        ], "returned"),
        "refusal": ([
            ("specialist", "examine", examine_refuse("Không thuộc thẩm quyền giải quyết của UBND xã.")),
            ("leader", "sign_refusal", SIGN_APPROVE),
            ("reception", "return_refusal", RETURN_COUNTER),
        ], "refused"),
        "send_back_then_approve": ([
            examine,
            ("leader", "sign", SIGN_SEND_BACK),
            examine, sign, *after_sign,
            ("reception", "return_result", RETURN_ONLINE),
        ], "returned"),
        "refusal_sent_back_then_approved": ([
            ("specialist", "examine", examine_refuse("Hồ sơ không đủ điều kiện.")),
            ("leader", "sign_refusal", SIGN_SEND_BACK),
            examine, sign, *after_sign,
            ("reception", "return_result", RETURN_COUNTER),
        ], "returned"),
        "supplement_then_refusal": ([
            ("specialist", "examine", examine_supplement()),
            ("reception", "wait_supplement", SUPPLEMENT_RECEIVED),
            ("specialist", "examine", examine_refuse("Giấy tờ bổ sung không hợp lệ.")),
            ("leader", "sign_refusal", SIGN_APPROVE),
            ("reception", "return_refusal", RETURN_POSTAL),
        ], "refused"),
    }


PATH_CASES = [pytest.param(p, name, id=f"{p.slug}-{name}") for p in PROCEDURES for name in paths(p)]
