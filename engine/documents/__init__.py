"""The dossier's documents: scanned components in the slots of the procedure's document list, electronic
results signed at the leader's step, their signatures checked, reused for the same applicant and removed
after retention (Circular 01/2023/TT-VPCP on digitising dossiers and results).

- config: the [documents] settings and each procedure's document data (procedures/*.toml);
- store: the content-addressed store (local disk or S3-compatible) behind one interface;
- sniff: a file's type from its bytes, and its pages;
- components: slots, attaching, downloading (authorised and audited), reuse;
- results: the result made from its template, signed PAdES, downloaded by officials and the citizen;
- signatures: signing and verifying PDFs; retention: files past their retention period.
"""
