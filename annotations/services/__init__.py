"""State changes of the annotations app; each is one function in a transaction."""
