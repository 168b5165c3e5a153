"""Government reserves, buyback, recovery and expiry (R33–R36, R37)."""
