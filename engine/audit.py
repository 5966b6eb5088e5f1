"""The audit trail: every action on a dossier, with its actor and time."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from engine.models import AuditEvent, Dossier, User

#: The Vietnamese words for each event recorded about a dossier: the API's timeline says them, and so do the
#: workspace's pages (api.web.labels takes them from here; only its English is its own). One table, so that
#: the two cannot drift; a test keeps every recorded action in it.
ACTION_VI = {
    "received": "Tiếp nhận hồ sơ",
    "receipt_issued": "Cấp giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "claimed": "Nhận xử lý",
    "unclaimed": "Trả về nhóm xử lý",
    "assigned": "Phân công xử lý",
    "completed": "Hoàn thành bước",
    "sent_back": "Trả lại bước trước",
    "withdrawn": "Công dân rút hồ sơ",
    "viewed": "Xem hồ sơ",
    "printed": "In biểu mẫu",
    "rated": "Công dân đánh giá mức độ hài lòng",
    "applicant_notified": "Đã báo tin cho người nộp (thư điện tử hoặc SMS)",
    "handed_over": "Chuyển hồ sơ liên thông sang cơ quan khác",
    "handover_confirmed": "Cơ quan nhận xác nhận đã nhận hồ sơ liên thông",
    "returned_to_group": "Trả về hộp việc của nhóm (cán bộ thôi hoạt động)",
    "timer_fired": "Mốc thời gian của quy trình đã đến",
    "consultation_silence": "Cơ quan được lấy ý kiến không trả lời đúng hạn (áp dụng quy định của thủ tục)",
    "extended": "Gia hạn thời gian giải quyết",
    "apology_issued": "Phát hành phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)",
    "stopped": "Dừng xử lý hồ sơ",
    "payment_recorded": "Ghi nhận thanh toán phí, lệ phí",
    "document_attached": "Đính kèm giấy tờ",
    "document_reused": "Sử dụng lại giấy tờ đã có",
    "document_removed": "Gỡ giấy tờ",
    "document_downloaded": "Tải giấy tờ",
    "documents_viewed": "Xem thành phần hồ sơ",
    "result_issued": "Phát hành kết quả điện tử có ký số",
    "result_downloaded": "Người nộp hồ sơ tải kết quả điện tử",
    "dossier.migrated": "Chuyển sang phiên bản mới của quy trình",
}


def record(session: Session, action: str, *, actor: User | None, at: dt.datetime, dossier: Dossier | None = None,
           dossier_id: int | None = None, task_id: int | None = None, **detail) -> AuditEvent:
    """Add an audit event to the current unit of work (pass `dossier` when it may not be flushed yet)."""
    event = AuditEvent(task_id=task_id, actor_id=actor.id if actor else None, at=at, action=action,
                       detail=detail or None)
    if dossier is not None:
        event.dossier = dossier
    else:
        event.dossier_id = dossier_id
    session.add(event)
    return event
