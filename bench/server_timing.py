"""A middleware for benchmarks only (bench/settings_timing.py): ``Server-Timing: app;dur=ms``.

Sync- and async-capable, so that under ASGI it adds no thread hop of its own."""

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction


class ServerTiming:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    async def __acall__(self, request):
        started = time.perf_counter()
        response = await self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response
