"""The Zoom API's door (``routes.door``): every operation of both route tables is
matched by its path and method, ``Allow`` comes from the same table, and a form body is
read by its fields' types; unknown paths and bad forms are refused."""

from __future__ import annotations

import pytest

from zoomlive.server.problems import ZoomProblem
from zoomlive.server.routes.door import ALLOW, TABLE, match, parse_form
from zoomlive.wire.meetings import MEETING_ROUTES
from zoomlive.wire.paths import LIVESTREAM_ROUTES
from zoomlive.wire.users import USER_ROUTES


@pytest.mark.parametrize("route", [*LIVESTREAM_ROUTES, *MEETING_ROUTES, *USER_ROUTES], ids=str)
def test_every_operation_is_matched_by_its_path_and_method(route: object) -> None:
    template: str = route.template()  # type: ignore[attr-defined]
    path = template.replace("{userId}", "me").replace("{meetingId}", "81234567890")
    path = path.replace("{webinarId}", "81234567890")
    for form in (path, path + "/"):
        found = match(form)
        assert found is not None, form
        entry, key = found
        assert key in ("me", "81234567890", "")  # "": the users list names no one
        assert TABLE[entry][route.method] is route  # type: ignore[attr-defined]


def test_the_table_holds_all_twenty_operations_once() -> None:
    # (type, route): the tables' routes are tuples, equal across tables when their
    # fields agree (a meeting's live stream GET and its GET).
    served = [(type(r), r) for methods in TABLE.values() for r in methods.values()]
    assert len(served) == len(set(served)) == 20


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v2/meetings/1/livestream", "GET, HEAD, OPTIONS, PATCH"),
        ("/v2/webinars/1/livestream/status", "OPTIONS, PATCH"),
        ("/v2/meetings/1", "DELETE, GET, HEAD, OPTIONS, PATCH"),
        ("/v2/meetings/1/status", "OPTIONS, PUT"),
        ("/v2/users/me/webinars", "GET, HEAD, OPTIONS, POST"),
        ("/v2/users/me", "GET, HEAD, OPTIONS"),
        ("/v2/users", "GET, HEAD, OPTIONS"),
    ],
)
def test_allow_comes_from_the_table(path: str, allow: str) -> None:
    found = match(path)
    assert found is not None
    assert ALLOW[found[0]] == allow


@pytest.mark.parametrize(
    "path", ["/v2/users/me/settings", "/v2/meetings", "/v2/meetings/1/recordings",
             "/v2/users//meetings", "/v2/meetings/1/livestream/status/x",
             "/v2/accounts/1/meetings"],
)  # fmt: skip
def test_other_paths_are_not_operations(path: str) -> None:
    assert match(path) is None


BOUNDARY = "zoomlive-boundary"


def _form(*parts: tuple[str, str, str | None]) -> bytes:
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n".encode()
    return out + f"--{BOUNDARY}--\r\n".encode()


def test_a_form_is_read_by_its_fields_types() -> None:
    raw = _form(("topic", "Town hall", None), ("type", "2", None), ("duration", "45", None),
                ("pre_schedule", "true", None), ("settings", '{"host_video": true}', None),
                ("agenda", "été", None), ("file", "x", "a.txt"))  # fmt: skip
    types = {"type": "integer", "duration": "integer", "pre_schedule": "boolean",
             "settings": "object"}  # fmt: skip
    got = parse_form(raw, f"multipart/form-data; boundary={BOUNDARY}", types)
    file_part = got.pop("file")
    assert got == {"topic": "Town hall", "type": 2, "duration": 45, "pre_schedule": True,
                   "settings": {"host_video": True}, "agenda": "été"}  # fmt: skip
    assert not isinstance(file_part, str)  # a file is no field value: it fails validation


@pytest.mark.parametrize(
    ("raw", "ctype"),
    [
        (_form(("a", "b", None)), "multipart/form-data"),  # no boundary
        (b"not a form at all", f"multipart/form-data; boundary={BOUNDARY}"),
        (_form(("a", "b", None))[:-10], f"multipart/form-data; boundary={BOUNDARY}"),
        (b"--" + BOUNDARY.encode()  # a field that is not UTF-8
         + b'\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--'
         + BOUNDARY.encode() + b"--\r\n", f"multipart/form-data; boundary={BOUNDARY}"),
    ],
)  # fmt: skip
def test_a_bad_form_is_zooms_400(raw: bytes, ctype: str) -> None:
    with pytest.raises(ZoomProblem) as caught:
        parse_form(raw, ctype, {})
    assert (caught.value.status, caught.value.code) == (400, 300)
