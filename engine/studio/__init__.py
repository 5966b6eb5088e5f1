"""The process designer's tools that are not pages: the organisation lanes are checked against, live lint,
and the deadline simulation (issue 12). The studio's pages call these functions, the CLI too."""
