"""Search without diacritics: "nguyen van a" finds "Nguyễn Văn A".

Each dossier stores `search_key`: its code and applicant name, lower-cased and folded (diacritics dropped,
đ → d), written at reception and by migration 0003 for older rows. A search folds what was typed the same
way and looks for it anywhere in that key (LIKE, with % and _ taken literally).
"""
from __future__ import annotations

import unicodedata

#: the LIKE escape character the patterns below use
ESCAPE = "/"


def fold(text: str) -> str:
    """Lower case, no diacritics, single spaces: `Trần  Thị Bình` → `tran thi binh`."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.lower().split())


def dossier_key(code: str, applicant_name: str) -> str:
    """What a dossier is found by: its code and its applicant's name, folded."""
    return f"{fold(code)} {fold(applicant_name)}"


def contains_pattern(typed: str) -> str:
    """A LIKE pattern (escape `/`) finding the folded text anywhere; the user's % and _ are characters."""
    folded = fold(typed).replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{folded}%"
