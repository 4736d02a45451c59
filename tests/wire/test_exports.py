"""``zoomlive.wire`` re-exports the public models of its modules, the meetings' too."""

from __future__ import annotations

import zoomlive.wire as wire
from zoomlive.wire import meetings, models, paths


def test_the_package_names_each_modules_models() -> None:
    for module, names in (
        (models, ["LiveStream", "LiveStreamUpdate", "TokenResponse", "ErrorBody"]),
        (paths, ["Kind", "Operation"]),
        (meetings, ["MeetingObject", "MeetingList", "MeetingListItem", "MeetingRoute"]),
    ):
        for name in names:
            assert name in wire.__all__, name
            assert getattr(wire, name) is getattr(module, name), name
    assert sorted(wire.__all__) == sorted(set(wire.__all__))
