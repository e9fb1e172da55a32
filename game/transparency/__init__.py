"""The tamper-evident public log: a hash chain of confirmations with a daily Merkle root."""
