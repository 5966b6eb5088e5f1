"""The version lifecycle of a procedure, for the process studio: drafts of its package, their lint, approval
into a new version, versions compared element by element, and running dossiers moved to another version
(migration)."""
