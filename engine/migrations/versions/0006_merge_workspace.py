"""Join the workspace's search keys (0003_workspace) with the token expiry and late rungs (0002, 0005): one head

Revision ID: 0006_merge_workspace
Revises: 0003_workspace, 0005_apifix
"""
revision = "0006_merge_workspace"
down_revision = ("0003_workspace", "0005_apifix")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the two lines touch different tables: nothing to reconcile


def downgrade() -> None:
    pass
