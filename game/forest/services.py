"""game.forest.services (to be built)."""
