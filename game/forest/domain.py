"""game.forest.domain (to be built)."""
