"""The audit trail of the event stores (issue 16): each stream's hash chain (chain.py), its check by consumers
(continuity.py) and by anyone with the databases (verify.py, `python -m shared.audit verify`)."""
