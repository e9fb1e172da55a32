"""The user's app: the routes a signed-in user calls with a JWT (/v1/me, /v1/friends,
the forest, the farm, donations)."""
