from django.apps import AppConfig


class LateAuditConfig(AppConfig):
    name = "late_audit"

    def ready(self):
        from django.db import transaction

        from parcours.referrals import services

        real_audit_log = services.audit_log
        real_run = services._run

        def deferred_audit_log(**kwargs):
            pending = transaction.get_connection().__dict__.get("_bench_audit")
            if pending is None:
                return real_audit_log(**kwargs)
            pending.append(kwargs)
            return None

        def run_with_late_audit(fn):
            connection = transaction.get_connection()

            def wrapped():
                connection.__dict__["_bench_audit"] = []
                try:
                    result = fn()
                    for kwargs in connection.__dict__["_bench_audit"]:
                        real_audit_log(**kwargs)  # last statements before COMMIT
                    return result
                finally:
                    connection.__dict__.pop("_bench_audit", None)

            return real_run(wrapped)

        services.audit_log = deferred_audit_log
        services._run = run_with_late_audit
