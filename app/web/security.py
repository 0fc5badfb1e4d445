"""Security headers on every HTTP response, and a strict Content Security Policy on pages.

A pure ASGI middleware (websockets pass through untouched). Every response gets
``X-Content-Type-Options``, ``Referrer-Policy`` and ``X-Frame-Options``; HTML responses also
get the Content Security Policy below: scripts, styles, images and connections only from the
server's own origin, no inline scripts, no other host at all (our users' data-protection
officers ask for exactly that). ``connect-src 'self'`` also admits websockets to the same
host and port: CSP Level 3 matches ``ws:``/``wss:`` against ``'self'``, and Chromium does so
(the browser tests connect the room's websocket under this policy).

Every page gets it, the API reference at ``/docs`` too (Swagger UI is vendored into
``static/vendor/`` and sets its styles through the DOM, which the policy allows).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

COMMON_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Add the security headers to every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in COMMON_HEADERS if item[0] not in present)
                content_type = next(
                    (value for name, value in headers if name.lower() == b"content-type"), b""
                )
                own_policy = b"content-security-policy" in present  # e.g. the export report
                if content_type.startswith(b"text/html") and not own_policy:
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
