"""BPMN as documents: procedure packages, parsing, extensions, validation, script policy, serialization.

Knows nothing of the database or HTTP.
"""
