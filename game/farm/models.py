"""game.farm.models (to be built)."""
