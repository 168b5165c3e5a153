"""Ledger tables (R37): rights lots and append-only double entries. Filled in by the ledger work."""
