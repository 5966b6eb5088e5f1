"""The workspace's pages, one module per area; each registers its routes on api.web.bp.

auth (sign-in, sign-out, password, language), inbox, tasks, dossiers: the core; desk (reception),
returns (result return) and tracking (form 06's book) are built on the same layout.
"""
from api.web.views import (  # noqa: F401
    auth,
    desk,
    dossiers,
    inbox,
    lookup,
    returns,
    studio,  # noqa: F401
    tasks,
    tracking,
)
