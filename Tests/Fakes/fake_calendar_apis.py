#!/usr/bin/env python3
"""Local stand-ins for the Google Calendar and Microsoft Graph free/busy APIs and their OAuth
token endpoints, for the Integrations tests. Python 3 standard library only.

    python3 fake_calendar_apis.py PORT [--parent-pid PID]

PORT 0 picks a free port; the chosen port is printed alone on stdout's first line. Binds
127.0.0.1 only. With --parent-pid the server exits when that process is gone, so a crashed test
run leaves nothing behind.

Endpoints (shapes follow the providers' documentation):
  POST /google/token                              OAuth 2.0 refresh_token grant (Google)
  POST /google/calendar/v3/freeBusy               Calendar API v3 freebusy.query
  POST /ms/{tenant}/oauth2/v2.0/token             Microsoft identity platform refresh_token grant
  POST /graph/v1.0/me/calendar/getSchedule        Graph calendar: getSchedule
  POST /graph/v1.0/users/{id}/calendar/getSchedule
Test control:
  POST /_control   JSON merged into the fault/state settings (see CONTROL_KEYS)
  GET  /_requests  every API and token request so far: {"requests": [...]}, ?api=google|graph|token
  POST /_reset     forget tokens, faults and recorded requests

Busy data is derived from the calendar id and the UTC day, so tests can compute what to expect
(the Swift mirror is Tests/IntegrationsTests/Support/FakeCalendarData.swift). For each UTC
day number D (days since 1970-01-01) and k = (sum of the id's UTF-8 bytes) % 8:
  Google: busy (9+k):00-(10+k):00; busy 14:00-15:00 if D%3==0; busy 22:00-02:00(+1d) if D%7==0.
  Graph:  busy (9+k):00-(10+k):00; tentative 14-15 if D%3==0; oof 16-17 if D%5==0;
          workingElsewhere 07-08 if D%4==0; free 18-19 if D%6==0; busy 22-02(+1d) if D%7==0.
Google clips busy periods to the query window; Graph returns whole items that overlap it.
Ids starting with "missing" get the provider's per-calendar "not found" error instead.
"""

import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DAY = 86400

CONTROL_KEYS = {
    # Statuses (401, 403, 429, 500, 503, ...) returned by the next requests of that API, one each.
    "googleFailNext": list,
    "graphFailNext": list,
    "tokenFailNext": list,
    # Retry-After on 429/503 responses: seconds, or null for none.
    "retryAfter": (int, type(None)),
    # Send Retry-After as an HTTP-date (now + retryAfter) instead of seconds.
    "retryAfterDate": bool,
    # Mark every access token issued so far as expired.
    "expireTokens": bool,
    # Answer 401 to every API request, whatever the token.
    "rejectAllTokens": bool,
    # Refresh tokens that get invalid_grant.
    "revokeRefreshTokens": list,
    # expires_in of newly issued access tokens.
    "tokenLifetime": int,
    # Window limits the fake enforces (the connectors stay below them).
    "googleMaxWindowDays": int,
    "graphMaxWindowDays": int,
    # Report Graph scheduleIds in lower case, as a server normalising SMTP addresses would.
    "graphLowercaseIds": bool,
}


def default_state():
    return {
        "googleFailNext": [],
        "graphFailNext": [],
        "tokenFailNext": [],
        "retryAfter": None,
        "retryAfterDate": False,
        "rejectAllTokens": False,
        "revokeRefreshTokens": [],
        "tokenLifetime": 3599,
        "googleMaxWindowDays": 90,
        "graphMaxWindowDays": 42,
        "graphLowercaseIds": False,
    }


LOCK = threading.Lock()
STATE = default_state()
TOKENS = {}  # access token -> {"api": "google"|"graph", "expires": epoch seconds}
REQUESTS = []
COUNTER = [0]


def reset():
    with LOCK:
        STATE.clear()
        STATE.update(default_state())
        TOKENS.clear()
        REQUESTS.clear()


def key_of(calendar_id):
    return sum(calendar_id.encode("utf-8")) % 8


def google_busy(calendar_id, start, end):
    """Busy periods of a calendar overlapping [start, end), clipped to it, sorted, merged."""
    k = key_of(calendar_id)
    periods = []
    for day in range(start // DAY - 1, end // DAY + 1):
        base = day * DAY
        periods.append((base + (9 + k) * 3600, base + (10 + k) * 3600))
        if day % 3 == 0:
            periods.append((base + 14 * 3600, base + 15 * 3600))
        if day % 7 == 0:
            periods.append((base + 22 * 3600, base + DAY + 2 * 3600))
    clipped = sorted((max(s, start), min(e, end)) for s, e in periods if s < end and e > start)
    merged = []
    for s, e in clipped:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def graph_items(calendar_id, start, end):
    """(status, start, end) items overlapping [start, end), unclipped, as Graph returns them."""
    k = key_of(calendar_id)
    items = []
    for day in range(start // DAY - 1, end // DAY + 1):
        base = day * DAY
        items.append(("busy", base + (9 + k) * 3600, base + (10 + k) * 3600))
        if day % 3 == 0:
            items.append(("tentative", base + 14 * 3600, base + 15 * 3600))
        if day % 5 == 0:
            items.append(("oof", base + 16 * 3600, base + 17 * 3600))
        if day % 4 == 0:
            items.append(("workingElsewhere", base + 7 * 3600, base + 8 * 3600))
        if day % 6 == 0:
            items.append(("free", base + 18 * 3600, base + 19 * 3600))
        if day % 7 == 0:
            items.append(("busy", base + 22 * 3600, base + DAY + 2 * 3600))
    return sorted((i for i in items if i[1] < end and i[2] > start), key=lambda i: (i[1], i[2], i[0]))


def rfc3339(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    if not isinstance(text, str):
        raise ValueError("not a string")
    value = text.replace("z", "Z")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("no zone designator")
    return int(parsed.timestamp())


def graph_wall_clock(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000")


def parse_graph_time(value):
    """A dateTimeTimeZone in UTC, as the fake only understands UTC."""
    if not isinstance(value, dict) or "dateTime" not in value or "timeZone" not in value:
        raise ValueError("expected {dateTime, timeZone}")
    if value["timeZone"] not in ("UTC", "Etc/UTC"):
        raise ValueError("the fake only supports timeZone UTC")
    parsed = datetime.fromisoformat(value["dateTime"][:19])
    return int(parsed.replace(tzinfo=timezone.utc).timestamp())


def google_error(status, reason, message, domain="global", **extra):
    detail = {"domain": domain, "reason": reason, "message": message}
    detail.update(extra)
    return status, {"error": {"errors": [detail], "code": status, "message": message}}


def graph_error(status, code, message):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return status, {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": now, "request-id": secrets.token_hex(8), "client-request-id": secrets.token_hex(8)},
        }
    }


GOOGLE_FAULTS = {
    401: lambda: google_error(401, "authError", "Invalid Credentials", locationType="header", location="Authorization"),
    403: lambda: google_error(403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits"),
    429: lambda: google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits"),
    500: lambda: google_error(500, "backendError", "Backend Error"),
    503: lambda: google_error(503, "backendError", "Backend Error"),
}
GRAPH_FAULTS = {
    401: lambda: graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: lambda: graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."),
    429: lambda: graph_error(429, "TooManyRequests", "Too many requests. Please try again later."),
    500: lambda: graph_error(500, "InternalServerError", "An internal server error occurred."),
    503: lambda: graph_error(503, "ServiceNotAvailable", "The service is temporarily unavailable."),
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeCalendarAPIs/1"

    def log_message(self, *args):  # keep the log for the port line and real problems
        pass

    # -- plumbing -------------------------------------------------------------------------

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status, payload, headers=None):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def record(self, api, raw_body, parsed):
        with LOCK:
            REQUESTS.append(
                {
                    "api": api,
                    "method": self.command,
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "prefer": self.headers.get("Prefer"),
                    "contentType": self.headers.get("Content-Type"),
                    "body": parsed if parsed is not None else raw_body.decode("utf-8", "replace"),
                    "at": time.time(),
                }
            )

    def retry_headers(self, status):
        if status not in (429, 503):
            return {}
        with LOCK:
            seconds, as_date = STATE["retryAfter"], STATE["retryAfterDate"]
        if seconds is None:
            return {}
        if as_date:
            return {"Retry-After": formatdate(time.time() + seconds, usegmt=True)}
        return {"Retry-After": str(seconds)}

    def next_fault(self, key):
        with LOCK:
            queue = STATE[key]
            return queue.pop(0) if queue else None

    def check_token(self, api):
        """None if the bearer token is good, else the 401 to send."""
        header = self.headers.get("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else None
        with LOCK:
            entry = TOKENS.get(token) if token else None
            reject_all = STATE["rejectAllTokens"]
        if reject_all or entry is None or entry["api"] != api or entry["expires"] <= time.time():
            return (GOOGLE_FAULTS if api == "google" else GRAPH_FAULTS)[401]()
        return None

    # -- routing --------------------------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/_requests":
            wanted = urllib.parse.parse_qs(url.query).get("api", [None])[0]
            with LOCK:
                found = [r for r in REQUESTS if wanted is None or r["api"] == wanted]
            self.send_json(200, {"requests": found})
        elif url.path == "/_health":
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"error": "no such path"})

    def do_POST(self):
        raw = self.read_body()
        path = urllib.parse.urlparse(self.path).path
        if path == "/_control":
            self.control(raw)
        elif path == "/_reset":
            reset()
            self.send_json(200, {"ok": True})
        elif path == "/google/token":
            self.token(raw, "google")
        elif path.startswith("/ms/") and path.endswith("/oauth2/v2.0/token"):
            self.token(raw, "graph")
        elif path == "/google/calendar/v3/freeBusy":
            self.google_free_busy(raw)
        elif path.startswith("/graph/v1.0/") and path.endswith("/calendar/getSchedule"):
            self.graph_get_schedule(raw)
        else:
            self.send_json(404, {"error": "no such path"})

    def control(self, raw):
        try:
            changes = json.loads(raw or b"{}")
        except ValueError:
            return self.send_json(400, {"error": "control body is not JSON"})
        with LOCK:
            for key, value in changes.items():
                if key == "expireTokens":
                    if value:
                        for entry in TOKENS.values():
                            entry["expires"] = time.time() - 1
                    continue
                if key not in CONTROL_KEYS or not isinstance(value, CONTROL_KEYS[key]):
                    return self.send_json(400, {"error": "unknown or mistyped control key %r" % key})
                STATE[key] = list(value) if isinstance(value, list) else value
        self.send_json(200, {"ok": True})

    # -- OAuth token endpoints ------------------------------------------------------------

    def token(self, raw, api):
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        self.record("token", raw, {"provider": api, "form": form})
        fault = self.next_fault("tokenFailNext")
        if fault is not None:
            return self.send_json(
                fault, {"error": "temporarily_unavailable", "error_description": "fake fault"}, self.retry_headers(fault)
            )
        content_type = self.headers.get("Content-Type") or ""
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return self.send_json(400, {"error": "invalid_request", "error_description": "body must be form-encoded"})
        if form.get("grant_type") != "refresh_token":
            return self.send_json(400, {"error": "unsupported_grant_type", "error_description": "only refresh_token"})
        if not form.get("client_id"):
            return self.send_json(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if api == "graph" and not form.get("scope"):
            return self.send_json(
                400, {"error": "invalid_request", "error_description": "AADSTS900144: 'scope' is required."}
            )
        refresh = form.get("refresh_token")
        with LOCK:
            revoked = refresh in STATE["revokeRefreshTokens"]
            lifetime = STATE["tokenLifetime"]
        if not refresh or revoked:
            if api == "google":
                return self.send_json(
                    400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                )
            return self.send_json(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS70008: The provided authorization code or refresh token has expired.",
                    "error_codes": [70008],
                },
            )
        with LOCK:
            COUNTER[0] += 1
            serial = COUNTER[0]
            access = ("ya29.fake-%d-" if api == "google" else "eyJ0eXAi.fake-%d-") % serial + secrets.token_hex(6)
            TOKENS[access] = {"api": api, "expires": time.time() + lifetime}
        payload = {"access_token": access, "expires_in": lifetime, "token_type": "Bearer"}
        if api == "google":
            payload["scope"] = "https://www.googleapis.com/auth/calendar.freebusy"
        else:
            payload["scope"] = form["scope"]
            payload["ext_expires_in"] = lifetime
            payload["refresh_token"] = "rt-ms-rotated-%d" % serial  # Microsoft rotates refresh tokens
        self.send_json(200, payload)

    # -- Google Calendar freebusy.query ---------------------------------------------------

    def google_free_busy(self, raw):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.record("google", raw, body)
        fault = self.next_fault("googleFailNext")
        if fault is not None:
            status, payload = GOOGLE_FAULTS.get(fault, lambda: google_error(fault, "fault", "Fake fault"))()
            return self.send_json(status, payload, self.retry_headers(status))
        rejection = self.check_token("google")
        if rejection:
            return self.send_json(*rejection, headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        if not isinstance(body, dict):
            return self.send_json(*google_error(400, "parseError", "Parse Error"))
        for field in ("timeMin", "timeMax"):
            if field not in body:
                return self.send_json(*google_error(400, "required", "Missing %s parameter." % field))
        try:
            start, end = parse_rfc3339(body["timeMin"]), parse_rfc3339(body["timeMax"])
        except ValueError:
            return self.send_json(*google_error(400, "invalid", "Bad Request"))
        if end <= start:
            return self.send_json(
                *google_error(
                    400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar",
                    locationType="parameter", location="timeMax",
                )
            )
        with LOCK:
            max_days = STATE["googleMaxWindowDays"]
        if end - start > max_days * DAY:
            return self.send_json(
                *google_error(400, "timeRangeTooLong", "The requested time range is too long.", domain="calendar")
            )
        items = body.get("items")
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) and "id" in i for i in items):
            return self.send_json(*google_error(400, "required", "Missing items[].id parameter."))
        if len(items) > 50:
            return self.send_json(
                *google_error(400, "tooManyCalendarsRequested", "The number of calendars requested is too large.",
                              domain="calendar")
            )
        if body.get("timeZone") not in (None, "UTC", "Etc/UTC"):
            return self.send_json(*google_error(400, "invalid", "The fake only supports timeZone UTC."))
        calendars = {}
        for item in items:
            calendar_id = item["id"]
            if calendar_id.startswith("missing"):
                calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            else:
                busy = google_busy(calendar_id, start, end)
                calendars[calendar_id] = {"busy": [{"start": rfc3339(s), "end": rfc3339(e)} for s, e in busy]}
        self.send_json(
            200, {"kind": "calendar#freeBusy", "timeMin": rfc3339(start), "timeMax": rfc3339(end), "calendars": calendars}
        )

    # -- Microsoft Graph getSchedule ------------------------------------------------------

    def graph_get_schedule(self, raw):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.record("graph", raw, body)
        fault = self.next_fault("graphFailNext")
        if fault is not None:
            status, payload = GRAPH_FAULTS.get(fault, lambda: graph_error(fault, "Fault", "Fake fault"))()
            return self.send_json(status, payload, self.retry_headers(status))
        rejection = self.check_token("graph")
        if rejection:
            return self.send_json(*rejection)
        if not isinstance(body, dict):
            return self.send_json(*graph_error(400, "BadRequest", "Unable to read JSON request payload."))
        schedules = body.get("schedules")
        if not isinstance(schedules, list) or not schedules:
            return self.send_json(*graph_error(400, "ErrorInvalidParameter", "schedules must not be empty."))
        if len(schedules) > 20:
            return self.send_json(
                *graph_error(400, "ErrorInvalidParameter", "The number of schedules exceeds the maximum of 20.")
            )
        try:
            start, end = parse_graph_time(body.get("startTime")), parse_graph_time(body.get("endTime"))
        except (ValueError, TypeError) as error:
            return self.send_json(*graph_error(400, "ErrorInvalidParameter", "startTime/endTime: %s" % error))
        interval = body.get("availabilityViewInterval", 30)
        if not isinstance(interval, int) or not 5 <= interval <= 1440:
            return self.send_json(
                *graph_error(400, "ErrorInvalidParameter", "availabilityViewInterval must be between 5 and 1440.")
            )
        if end <= start:
            return self.send_json(*graph_error(400, "ErrorInvalidTimeInterval", "The time interval is empty."))
        with LOCK:
            max_days = STATE["graphMaxWindowDays"]
        if end - start >= max_days * DAY:
            return self.send_json(
                *graph_error(
                    400, "ErrorTimeIntervalTooBig",
                    "The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. "
                    "The allowed limit = %d days; the actual limit = %d days." % (max_days, -(-(end - start) // DAY)),
                )
            )
        with LOCK:
            lowercase = STATE["graphLowercaseIds"]
        value = []
        for schedule in schedules:
            if schedule.startswith("missing"):
                value.append(
                    {
                        "scheduleId": schedule,
                        "availabilityView": "",
                        "scheduleItems": [],
                        "error": {
                            "message": "The user or resource %s could not be found." % schedule,
                            "responseCode": "ErrorMailRecipientNotFound",
                        },
                    }
                )
                continue
            items = graph_items(schedule, start, end)
            value.append(
                {
                    "scheduleId": schedule.lower() if lowercase else schedule,
                    "availabilityView": availability_view(items, start, end, interval),
                    "scheduleItems": [
                        {
                            "isPrivate": False,
                            "status": status,
                            "start": {"dateTime": graph_wall_clock(s), "timeZone": "UTC"},
                            "end": {"dateTime": graph_wall_clock(e), "timeZone": "UTC"},
                        }
                        for status, s, e in items
                    ],
                    "workingHours": {
                        "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                        "startTime": "08:00:00.0000000",
                        "endTime": "17:00:00.0000000",
                        "timeZone": {"name": "UTC"},
                    },
                }
            )
        self.send_json(
            200,
            {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
             "value": value},
        )


def availability_view(items, start, end, interval):
    """Graph's merged view: 0 free or working elsewhere, 1 tentative, 2 busy, 3 out of office."""
    rank = {"free": 0, "workingElsewhere": 0, "tentative": 1, "busy": 2, "oof": 3}
    step = interval * 60
    slots = []
    slot = start
    while slot < end:
        level = max([rank.get(status, 0) for status, s, e in items if s < slot + step and e > slot] or [0])
        slots.append(str(level))
        slot += step
    return "".join(slots)


def watch_parent(pid):
    while True:
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        time.sleep(0.5)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: fake_calendar_apis.py PORT [--parent-pid PID]")
    port = int(args[0])
    if "--parent-pid" in args:
        pid = int(args[args.index("--parent-pid") + 1])
        threading.Thread(target=watch_parent, args=(pid,), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
