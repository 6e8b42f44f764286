"""State changes of the generations app; each is one function in a transaction."""
