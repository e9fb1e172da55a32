"""game.farm.domain (to be built)."""
