"""Application-fee reconciliation: bank statements in, payment status out."""
