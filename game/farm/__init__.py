"""game.farm.__init__ (to be built)."""
