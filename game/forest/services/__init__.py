"""Use cases of the forest, one module per area. Functions taking a UnitOfWork are whole use
cases (one call, one transaction); those taking a Session never commit."""
