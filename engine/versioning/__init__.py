"""The process designer's studio: drafts of a procedure package, their lint, approval into a new version,
versions compared, and running dossiers moved to another version (migration)."""
