"""The printed forms (01 receipt, 02 supplement request, 03 refusal, 04 apology, 05 control sheet, 06 tracking
book) as PDF files: `render(form_key, context) -> bytes`.

Which forms exist, their numbers, titles, legal basis and paper come from config/forms.toml (a new circular
is a data edit); each has a Jinja template in templates/ and they share forms.css. The context is plain data
(api/printing/contexts.py builds it from the engine's read models); rendering reads nothing else, so the
HTML pages of the officials' workspace can show the same forms from the same contexts.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from config.forms import FormSpec, load_forms

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
PDF = "application/pdf"
#: lines of the tracking book in one PDF: WeasyPrint lays a table out at 10-20 ms a line here, so a request
#: stays within seconds (about 12 pages of A4); longer periods are printed in parts, or taken as CSV
MAX_BOOK_LINES = 500
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


class UnknownForm(KeyError):
    """No form with this key in the forms file."""


def forms(path: str | None = None) -> Mapping[str, FormSpec]:
    return load_forms(path)


def form_spec(key: str, path: str | None = None) -> FormSpec:
    try:
        return forms(path)[key]
    except KeyError:
        raise UnknownForm(key) from None


# --- template filters: how the forms write times, money and codes ------------------------------------------


def hm(value: dt.datetime | None) -> str:
    """`HH:MM dd/mm/yyyy`, the instant as the forms print it (already in local time: see contexts.local)."""
    return value.strftime("%H:%M %d/%m/%Y") if value else ""


def day(value: dt.date | dt.datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def weekday(value: dt.date | None) -> str:
    return WEEKDAYS_VI[value.weekday()] if value else ""


def long_date(value: dt.date | None) -> str:
    """`ngày 02 tháng 3 năm 2026`: the place-and-date line of Vietnamese administrative papers."""
    return f"ngày {value.day:02d} tháng {value.month} năm {value.year}" if value else "ngày … tháng … năm …"


def vnd(amount: int | None) -> str:
    return f"{amount or 0:,}".replace(",", ".") + " đồng"


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to copy; the look-up ignores the dash."""
    return "-".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def title_case(text: str) -> str:
    return text[:1] + text[1:].lower()


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as a PNG data URI, 10 pixels a module: about 400 dpi at the receipt's 24 mm, drawn
    without smoothing (forms.css). An SVG prints as sharp but costs WeasyPrint a quarter more time to draw.
    """
    return segno.make(text, error="m", micro=False).png_data_uri(scale=10, border=0)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(("html",)),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(hm=hm, day=day, weekday=weekday, long_date=long_date, vnd=vnd, grouped=grouped,
                       title_case=title_case)
    return env


@lru_cache(maxsize=1)
def _weasy():
    """WeasyPrint's parsed style sheet and font configuration, built once per process (about 100 ms)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return CSS(filename=str(HERE / "forms.css"), font_config=fonts), fonts


def render_html(form_key: str, context: Mapping, forms_file: str | None = None) -> str:
    """The form as an HTML document (what the PDF is made from)."""
    spec = form_spec(form_key, forms_file)
    return _environment().get_template(spec.template).render(form=spec, **context)


def render(form_key: str, context: Mapping, forms_file: str | None = None) -> bytes:
    """The form as a PDF file: text selectable, fonts embedded (subset), page size from the forms file."""
    from weasyprint import HTML

    css, fonts = _weasy()
    html = render_html(form_key, context, forms_file)
    out = io.BytesIO()
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(out, stylesheets=[css], font_config=fonts)
    return out.getvalue()



def sample_receipt() -> dict:
    """A receipt's context with made-up data: warms the renderer up, and shows the form without a database."""
    at = dt.datetime(2026, 3, 2, 9, 0)
    url = "http://127.0.0.1:8000/lookup?code=000.01.31.H26-260302-0001&secret=ABCDEFGH"
    return {
        "agency_name": "UBND xã Tân Lập", "agency_parent": None, "doc_ref": "000.01.31.H26-260302-0001",
        "doc_ref_label": "Mã hồ sơ", "place_date": "Ngày 02 tháng 3 năm 2026", "printed_at": None,
        "code": "000.01.31.H26-260302-0001", "secret": "ABCDEFGH", "lookup_url": url, "qr": qr_data_uri(url),
        "lookup_page": "http://127.0.0.1:8000/lookup",
        "applicant": {"name": "Trần Thị Bình", "id_number": "031190001234", "address": "Số 5, thôn Tây, xã Tân Lập",
                      "phone": "0912345678", "email": "binh@example.vn"},
        "procedure_name": "Đăng ký thành lập hộ kinh doanh", "procedure_code": "1.001612", "channel": "trực tiếp",
        "documents": [{"name": "Giấy đề nghị đăng ký hộ kinh doanh", "copies": 1}],
        "deadline_vi": "3 ngày làm việc", "received_at": at, "appointment_at": at + dt.timedelta(days=3, hours=8),
        "delivery": "Bộ phận Một cửa", "fees": [{"name_vi": "Lệ phí đăng ký hộ kinh doanh", "amount": 100000}],
        "fees_total": 100000, "book_number": "0001", "official": "Cán bộ tiếp nhận",
        "local_code": None, "contact": None, "not_digitised": [],
    }


def warm_up() -> None:
    """Load WeasyPrint, the style sheet, the fonts and the receipt's template now (about 1.5 s), not on a
    citizen's first receipt. Each gunicorn worker calls it as it starts (config/gunicorn.conf.py).
    """
    render("receipt", sample_receipt())
