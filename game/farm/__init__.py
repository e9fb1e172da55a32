"""The farm: feed, the chicken and its eggs, thief chickens, charity projects and donations."""
