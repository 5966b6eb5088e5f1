"""The national public service portal adapter (Cổng Dịch vụ công quốc gia).

- `intake`: dossiers filed online are taken in, once per portal dossier id (MaHoSo); a malformed message
  is refused with its reason and kept whole in portal_rejected, nothing else written;
- `sync`: every dossier status change is queued in the outbox (channel "portal") with the national status
  code, in the transaction that made it, and pushed in order per dossier with retry and back-off;
- `client`: the HTTP envelope (session token, `madonvi`, `service`, header `dstcode`);
- `reconcile`: what is out of step between the portal and motcua.

Field names follow OpenCPS v2's DVCQG integration code (VietOpenCPS/opencps-v2); README says which are sure.
"""
