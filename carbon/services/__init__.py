"""Use cases of the carbon account. Modules whose functions take a Session never commit; those
that take a UnitOfWork are whole use cases (one call, one transaction)."""
