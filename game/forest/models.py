"""game.forest.models (to be built)."""
