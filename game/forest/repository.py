"""game.forest.repository (to be built)."""
