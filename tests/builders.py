"""Builder fixtures that create domain objects for tests."""
