"""The runtime: dossiers, tasks, the working calendar, deadlines, escalation, persistence. No Flask here."""
