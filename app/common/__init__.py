"""Cross-domain building blocks: money (R1), the clock (R3), working days (R4–R6), and
regions (R7, R9)."""
