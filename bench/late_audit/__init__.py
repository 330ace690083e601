"""Benchmark-only experiment (``bench/submit.py --late-audit``): take the audit hash-chain lock
as late as possible.

``audit_log`` takes a transaction-wide advisory lock (audit/services.py) and the referral
services call it in the middle of their transaction, so the lock is held across the queries
that follow (desk look-up, notification rows) and the commit. This app, installed only by
bench/settings_late_audit.py, makes the referral services' audit calls run at the very end of
their transaction instead (same rows, same chain, same transaction), to measure what shortening
the lock buys. It changes nothing in the application's code.
"""
