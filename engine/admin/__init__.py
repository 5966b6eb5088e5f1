"""Administration: the agency tree with its dates, officials and their roles, the working calendar's day
swaps, and the procedures each agency offers. Every change is audited (engine.audit, actions `admin.*`).

Who administers what (engine.admin.scope): a system administrator (`User.is_admin`) everything; an agency
administrator (the role `admin` in an agency) that agency and the agencies under it. Pages, the API, the CLI
and the demo seed call the same functions here.
"""
