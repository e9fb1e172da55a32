"""game.forest.errors (to be built)."""
