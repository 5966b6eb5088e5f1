"""The workspace's pages, one module per area; each registers its routes on api.web.bp.

auth (sign-in, sign-out, password, language), inbox, tasks, dossiers: the core; desk (reception),
returns (result return) and tracking (form 06's book) are built on the same layout.
"""
from api.web.views import (  # noqa: F401  # noqa: F401
    admin,
    auth,
    desk,
    documents,
    dossiers,
    forwardings,
    inbox,
    lookup,
    returns,
    studio,
    tasks,
    tracking,
)
from api.web.views import oversight as _supervision_pages  # noqa: F401
