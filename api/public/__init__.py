"""The public: routes anyone may read without credentials (figures, the public log)."""
