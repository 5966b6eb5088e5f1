"""Oversight: what supervisors and leaders read about their agencies beyond one dossier.

- board: the risk board of open dossiers by agency, procedure or official, each figure with its dossiers;
- indicators: the Decision 766/QĐ-TTg indicators that motcua's data can compute, each with its formula,
  its source and the dossiers it counted, and the ones it cannot (said, not guessed);
- evaluation: the annual evaluation of officials (dossiers handled, on time, late, sent back, supplements
  requested, escalations received), pre-aggregated per official and year with the time it was computed;
- digest: the daily list of overdue dossiers, as the e-mail digest sends it, readable on a page.
Who may read what is checked here (engine.supervision.watched_agencies), never by the pages.
"""
