"""The carbon account: users, methodology, activity events, settlement and the energy ledger."""
