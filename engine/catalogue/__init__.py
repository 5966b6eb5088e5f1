"""Importing an export of the National Database of Administrative Procedures (CSDL quốc gia về TTHC)."""
