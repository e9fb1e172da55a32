"""Use cases of the farm. Functions taking a UnitOfWork are whole use cases (one call, one
transaction); those taking a Session (scene, credit_feed) never commit."""
