"""Leases of emission rights (R31, R32)."""
